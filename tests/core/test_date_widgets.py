"""Every date and date-time input of the portal's forms gives the browser the only value format
it takes (``YYYY-MM-DD``, ``YYYY-MM-DDTHH:MM``) in the portal's language (en-gb would render
``30/11/2026``, which the browser drops: an edit page then shows the date empty and saves it so)."""
from __future__ import annotations

import inspect
from datetime import date, datetime
from importlib import import_module
from importlib.util import find_spec

from django import forms
from django.conf import settings
from django.utils import translation

from apps.core.forms import DateInput

EXPECTED = {"date": "2026-11-30", "datetime-local": "2026-11-30T09:05"}


def _portal_forms() -> list[type[forms.BaseForm]]:
    found = []
    for app in settings.PORTAL_APPS:
        if find_spec(f"{app}.forms") is None:
            continue
        module = import_module(f"{app}.forms")
        found += [obj for _, obj in inspect.getmembers(module, inspect.isclass)
                  if issubclass(obj, forms.BaseForm) and obj.__module__ == module.__name__]
    return found


def test_every_date_input_renders_the_iso_value_the_browser_takes():
    checked, wrong = 0, []
    with translation.override(settings.LANGUAGE_CODE):
        for form in _portal_forms():
            for name, field in form.base_fields.items():
                kind = getattr(field.widget, "input_type", None)
                if kind not in EXPECTED:
                    continue
                checked += 1
                value = date(2026, 11, 30) if kind == "date" else datetime(2026, 11, 30, 9, 5)
                if field.widget.format_value(value) != EXPECTED[kind]:
                    wrong.append(f"{form.__module__}.{form.__name__}.{name}: {field.widget.format_value(value)!r}")
    assert checked > 15  # the scan reaches the forms
    assert wrong == []


def test_the_edit_page_value_survives_a_bound_round_trip():
    """The value the page renders is one the form reads back as the same date."""
    class F(forms.Form):
        day = forms.DateField(widget=DateInput())

    with translation.override(settings.LANGUAGE_CODE):
        rendered = F(initial={"day": date(2026, 11, 30)})["day"].value()
        html = str(F(initial={"day": date(2026, 11, 30)})["day"])
        assert 'value="2026-11-30"' in html and 'type="date"' in html
        bound = F(data={"day": DateInput().format_value(rendered)})
        assert bound.is_valid() and bound.cleaned_data["day"] == date(2026, 11, 30)
