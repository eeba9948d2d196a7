from django import forms
from django.core.exceptions import ValidationError
from django.forms import Form


def add_service_errors(form: Form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: field errors on their field, the rest on top."""
    if hasattr(exc, "error_dict"):
        for field, messages in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, exc.messages)


class DateInput(forms.DateInput):
    """``<input type="date">``: the browser only takes ``YYYY-MM-DD`` as its value, whatever the
    language; Django's default format follows the locale (``30/11/2026`` in en-gb), which the
    browser drops, so an edit page would show the date empty and save it as empty."""

    input_type = "date"

    def __init__(self, attrs=None, format="%Y-%m-%d"):  # noqa: A002 - Django's argument name
        super().__init__(attrs, format=format)


class DateTimeInput(forms.DateTimeInput):
    """``<input type="datetime-local">`` (value ``YYYY-MM-DDTHH:MM``, see :class:`DateInput`)."""

    input_type = "datetime-local"

    def __init__(self, attrs=None, format="%Y-%m-%dT%H:%M"):  # noqa: A002 - Django's argument name
        super().__init__(attrs, format=format)
