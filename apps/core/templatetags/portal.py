from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils.safestring import SafeString

from apps.core.markdown import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str | None) -> SafeString:
    """Render Markdown safely: ``{{ note.body|markdown }}``."""
    return render_markdown(text)


@register.filter
def money(amount: Decimal | None, currency: str = "") -> str:
    """``{{ amount|money:"USD" }}`` -> ``USD 1,234.50``; None (or a missing value) -> an en dash."""
    if amount is None or amount == "":
        return "–"
    text = f"{Decimal(amount):,.2f}"
    return f"{currency} {text}".strip()


@register.inclusion_tag("includes/syncrun_progress.html")
def syncrun_progress(run):
    """The live progress bar of a SyncRun (polls itself with htmx until finished)."""
    return {"run": run}
