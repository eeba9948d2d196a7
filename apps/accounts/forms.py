from django import forms


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code", max_length=32, strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}),
        help_text="The 6-digit code from your authenticator app, or one of your recovery codes.",
    )


class EnrolForm(forms.Form):
    code = forms.CharField(
        label="First code from the app", max_length=8, strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )
