
from django.db import migrations


def seal_secrets(apps, schema_editor):
    """Seal the TOTP secrets stored in clear hex before this release (apps.accounts.sealing)."""
    from apps.accounts import sealing

    TOTPDevice = apps.get_model("otp_totp", "TOTPDevice")
    for device in TOTPDevice.objects.all():
        if not sealing.is_sealed(device.key):
            TOTPDevice.objects.filter(pk=device.pk).update(key=sealing.seal(device.key, user_id=device.user_id))


def open_secrets(apps, schema_editor):
    """Back to django-otp's clear hex (unapplying the migration)."""
    from apps.accounts import sealing

    TOTPDevice = apps.get_model("otp_totp", "TOTPDevice")
    for device in TOTPDevice.objects.all():
        if sealing.is_sealed(device.key):
            TOTPDevice.objects.filter(pk=device.pk).update(key=sealing.open_sealed(device.key, user_id=device.user_id))


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('otp_totp', '0003_add_timestamps'),
    ]

    operations = [
        migrations.CreateModel(
            name='SealedTOTPDevice',
            fields=[
            ],
            options={
                'verbose_name': 'two-factor authenticator',
                'proxy': True,
                'indexes': [],
                'constraints': [],
            },
            bases=('otp_totp.totpdevice',),
        ),
        migrations.RunPython(seal_secrets, open_secrets),
    ]
