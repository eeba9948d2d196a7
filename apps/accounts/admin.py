"""Admin: the CTO sees who has two-factor set up and can reset it (lost phone). The reset is
the only way to remove an authenticator, and it is written to the access log. Nobody can add
an authenticator here: a key typed in by an administrator would be a second factor they know."""
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts import services
from apps.core.access import get_actor

if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class TwoFactorAdmin(admin.ModelAdmin):
    list_display = ("user", "confirmed", "created_at", "last_used_at", "throttling_failure_count")
    search_fields = ("user__username", "user__email")
    fields = ("user", "name", "confirmed", "created_at", "last_used_at", "throttling_failure_count")
    readonly_fields = fields
    actions = ["reset_two_factor"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # only through the logged reset below

    def has_view_permission(self, request, obj=None):
        return get_actor(request.user).is_cto

    def has_module_permission(self, request):
        return get_actor(request.user).is_cto

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description="Reset two-factor (remove the authenticator and recovery codes)")
    def reset_two_factor(self, request, queryset):
        if not get_actor(request.user).is_cto:
            raise PermissionDenied
        users = {device.user for device in queryset.select_related("user")}
        for user in users:
            services.mfa_reset(by=request.user, user=user, request=request)
        self.message_user(request, f"Two-factor reset for {len(users)} user(s); they set it up again at the next "
                                   "sign-in.", messages.SUCCESS)
