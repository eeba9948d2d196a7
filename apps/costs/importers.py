"""Reading cost exports (FOCUS 1.0 and the classic AWS CUR) into daily facts.

The reader streams the CSV row by row and aggregates it in memory to one fact per natural key
(day x provider x billing account x sub-account x service x region x team x currency): memory
grows with the number of facts, not with the file. Nothing here writes; the service
``cost_file_import`` writes the aggregated facts in one transaction.

Row numbers in messages count the header as row 1, as a spreadsheet shows them.
"""
from __future__ import annotations

import csv
import json
import re
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation, localcontext
from typing import ClassVar

from django.core.exceptions import ValidationError

from apps.costs.ownership import TeamResolver

FOCUS = "focus"
CUR = "cur"
FORMATS = (FOCUS, CUR)
NULLS = {"", "null", "NULL", "Null", "None"}
TAG_NULLS = {"null", "none"}  # tag values (already lower-cased) that mean "not tagged"
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")

FOCUS_REQUIRED = ("ChargePeriodStart", "BilledCost", "BillingCurrency", "ProviderName", "BillingAccountId", "ServiceName")
CUR_REQUIRED = ("lineItem/UsageStartDate", "lineItem/UnblendedCost", "lineItem/UsageAccountId")
# CUR line types whose amortized cost is carried elsewhere (fees spread over covered usage,
# negations of covered usage). A simplification of AWS's amortization, documented in the README.
CUR_ZERO_AMORTIZED = {"SavingsPlanNegation", "SavingsPlanRecurringFee", "SavingsPlanUpfrontFee", "RIFee", "Fee"}


class RowError(Exception):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


def _clean(value: str | None) -> str:
    if value is None:
        return ""
    value = value.strip()
    return "" if value in NULLS else value


# What a money column (numeric(24, 12)) holds, and the dates a bill can carry.
MAX_AMOUNT = Decimal("999999999999.999999999999")
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)
# Sums are exact, as PostgreSQL's numeric: the default context would round them to 28 digits.
SUM_PRECISION = 100


def _decimal(row: dict, column: str, *, required: bool = True) -> Decimal:
    raw = _clean(row.get(column))
    if not raw:
        if required and column not in row:
            raise RowError(column, "missing")
        return Decimal("0")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise RowError(column, f"{raw[:40]!r} is not a number") from None
    if not value.is_finite():
        raise RowError(column, f"{raw[:40]!r} is not a finite number")
    if abs(value) > MAX_AMOUNT:
        raise RowError(column, f"{raw[:40]!r} is too large for an amount (at most 999,999,999,999.999999999999)")
    return value


def _date(row: dict, column: str, *, required: bool = True) -> date | None:
    raw = _clean(row.get(column))
    if not raw:
        if required:
            raise RowError(column, "a date is required")
        return None
    try:
        day = date.fromisoformat(raw[:10])
    except ValueError:
        raise RowError(column, f"{raw[:40]!r} is not a date (YYYY-MM-DD...)") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise RowError(column, f"{raw[:40]!r} is outside the years {FIRST_DAY.year}-{LAST_DAY.year}")
    return day


def _currency(row: dict, column: str, default: str | None = None) -> str:
    raw = _clean(row.get(column)) or (default or "")
    if not CURRENCY_RE.match(raw):
        raise RowError(column, f"{raw[:10]!r} is not an ISO 4217 currency code")
    return raw


def _tags(row: dict, column: str) -> str:
    """The raw tag JSON (kept as a string: it is the cache key for team resolution)."""
    return _clean(row.get(column))


@dataclass(slots=True)
class Fact:
    cost: Decimal = Decimal("0")
    amortized: Decimal = Decimal("0")
    sub_account_name: str = ""
    service_category: str = ""
    account_id: int | None = None


@dataclass
class ParsedFile:
    """Aggregated facts of one import (possibly several files) and what they cover."""

    facts: dict[tuple, Fact] = field(default_factory=dict)
    rows: int = 0
    periods: set[tuple[str, str, date]] = field(default_factory=set)  # (provider, billing account, period)
    formats: set[str] = field(default_factory=set)
    # (period, provider, billing account, resource id, currency) -> [cost, service, sub-account, team id, name]
    resources: dict[tuple, list] = field(default_factory=dict)

    RESOURCE_LIMIT: ClassVar[int] = 60_000  # bounded memory: prune to the biggest half when exceeded
    spill: Callable[[dict], None] | None = None  # called with the facts when ``spill_limit`` is reached
    spill_limit: ClassVar[int] = 100_000

    # (day, period, provider, billing account, sub-account, tag key, tag value, currency) -> [cost, amortized]
    tag_facts: dict[tuple, list] = field(default_factory=dict)

    def add_tag(self, key: tuple, cost: Decimal, amortized: Decimal) -> None:
        entry = self.tag_facts.get(key)
        if entry is None:
            self.tag_facts[key] = [cost, amortized]
        else:
            entry[0] += cost
            entry[1] += amortized

    def add_resource(self, key: tuple, cost: Decimal, service: str, sub_account: str, team_id, name: str) -> None:
        entry = self.resources.get(key)
        if entry is None:
            if len(self.resources) >= self.RESOURCE_LIMIT:
                self._prune()
            self.resources[key] = [cost, service, sub_account, team_id, name]
        else:
            entry[0] += cost
            # Descriptive columns: the largest value seen, as the SQL path's max() (NULL team ignored).
            entry[1] = max(entry[1], service)
            entry[2] = max(entry[2], sub_account)
            if team_id is not None and (entry[3] is None or team_id > entry[3]):
                entry[3] = team_id
            entry[4] = max(entry[4], name)

    def _prune(self) -> None:
        """Keep the most expensive half. Resources dropped here were in the cheap half when the
        table filled up: the monthly top list stays right unless a file holds hundreds of
        thousands of resources of similar cost (documented approximation)."""
        keep = sorted(self.resources.items(), key=lambda kv: kv[1][0], reverse=True)[: self.RESOURCE_LIMIT // 2]
        self.resources = dict(keep)

    def top_resources(self, n: int) -> list[tuple[tuple, list]]:
        groups: dict[tuple, list] = {}
        for key, entry in self.resources.items():
            groups.setdefault((key[0], key[1], key[2], key[4]), []).append((key, entry))
        out = []
        for items in groups.values():
            # Most expensive first; a tie goes to the smaller resource id (as the SQL path orders).
            items.sort(key=lambda kv: (-kv[1][0], kv[0][3]))
            out.extend(items[:n])
        return out


class Attribution:
    """Team and account for a row: tag rules, then the shared owner-tag rule, then the account's
    default team; unmatched stays unallocated (None). Cached per (tags, sub-account)."""

    CACHE_LIMIT = 50_000

    def __init__(self, *, tag_rules: dict[tuple[str, str], int], accounts: dict[str, object],
                 tag_keys: Iterable[str] = ()) -> None:
        self.tag_rules = tag_rules
        self.accounts = accounts
        self.tag_keys = frozenset(tag_keys)
        self.resolver = TeamResolver()
        self._cache: dict[tuple[str, str], tuple[int | None, int | None, tuple]] = {}

    @staticmethod
    def _normalise_key(key: str) -> str:
        key = str(key).strip().lower()
        return key[5:] if key.startswith("user:") else key

    def resolve_tags(self, tags: dict, sub_account_id: str) -> tuple[int | None, int | None]:
        account = self.accounts.get(sub_account_id)
        for key, value in tags.items():
            team_id = self.tag_rules.get((self._normalise_key(key), str(value).strip().lower()))
            if team_id is not None:
                return team_id, getattr(account, "pk", None)
        team = self.resolver.resolve(tags, account)
        return (team.pk if team else None), getattr(account, "pk", None)

    def tag_pairs(self, tags: dict) -> tuple[tuple[str, str], ...]:
        """The tracked ``(key, value)`` pairs of a row's tags for the cost tag dimension: keys
        lower-cased without ``user:``, values trimmed and lower-cased; empty/NULL values skipped."""
        if not self.tag_keys:
            return ()
        out: dict[str, str] = {}
        for key, value in tags.items():
            name = self._normalise_key(key)[:128]
            if name in self.tag_keys and value is not None:
                text = str(value).strip().lower()[:256]
                if text and text not in TAG_NULLS:
                    out[name] = text
        return tuple(sorted(out.items()))

    def resolve(self, raw_tags: str, sub_account_id: str, *, column: str = "Tags") -> tuple[int | None, int | None, tuple]:
        """(team id, account id, tracked tag pairs) of a row's raw tag JSON and sub-account."""
        cache_key = (raw_tags, sub_account_id)
        hit = self._cache.get(cache_key)
        if hit is not None:
            return hit
        tags: dict = {}
        if raw_tags:
            try:
                tags = json.loads(raw_tags)
            except ValueError:
                raise RowError(column, "is not valid JSON") from None
            if not isinstance(tags, dict):
                raise RowError(column, "must be a JSON object of tag keys and values")
        result = (*self.resolve_tags(tags, sub_account_id), self.tag_pairs(tags))
        if len(self._cache) > self.CACHE_LIMIT:
            self._cache.clear()
        self._cache[cache_key] = result
        return result


def detect_format(header: Iterable[str]) -> str | None:
    columns = set(header)
    if "BilledCost" in columns and "ChargePeriodStart" in columns:
        return FOCUS
    if "lineItem/UnblendedCost" in columns:
        return CUR
    return None


def _focus_row(row: dict, attribution: Attribution) -> tuple[tuple, Decimal, Decimal, str, str, int | None, tuple]:
    day = _date(row, "ChargePeriodStart")
    period = _date(row, "BillingPeriodStart", required=False) or day.replace(day=1)
    provider = _clean(row.get("ProviderName"))
    if not provider:
        raise RowError("ProviderName", "a provider is required")
    billing_account = _clean(row.get("BillingAccountId"))
    if not billing_account:
        raise RowError("BillingAccountId", "a billing account is required")
    sub_account = _clean(row.get("SubAccountId"))
    service = _clean(row.get("ServiceName")) or "Unknown"
    region = _clean(row.get("RegionId"))
    currency = _currency(row, "BillingCurrency")
    cost = _decimal(row, "BilledCost")
    amortized = _decimal(row, "EffectiveCost", required=False) if "EffectiveCost" in row else cost
    team_id, account_id, pairs = attribution.resolve(_tags(row, "Tags"), sub_account or billing_account)
    key = (day, period, provider[:64], billing_account[:200], sub_account[:200], service[:200], region[:64], team_id, currency)
    return key, cost, amortized, _clean(row.get("SubAccountName"))[:200], _clean(row.get("ServiceCategory"))[:100], \
        account_id, (provider[:64], billing_account[:200], period), _clean(row.get("ResourceId"))[:512], \
        _clean(row.get("ResourceName"))[:255], pairs


def _cur_row(row: dict, attribution: Attribution, tag_columns: list[tuple[str, str]]) -> tuple:
    day = _date(row, "lineItem/UsageStartDate")
    period = _date(row, "bill/BillingPeriodStartDate", required=False) or day.replace(day=1)
    sub_account = _clean(row.get("lineItem/UsageAccountId"))
    if not sub_account:
        raise RowError("lineItem/UsageAccountId", "an account id is required")
    billing_account = _clean(row.get("bill/PayerAccountId")) or sub_account
    service = _clean(row.get("product/ProductName")) or _clean(row.get("lineItem/ProductCode")) or "Unknown"
    region = _clean(row.get("product/regionCode")) or _clean(row.get("product/region"))
    currency = _currency(row, "lineItem/CurrencyCode", default="USD")
    cost = _decimal(row, "lineItem/UnblendedCost")
    line_type = _clean(row.get("lineItem/LineItemType"))
    if line_type == "SavingsPlanCoveredUsage":
        amortized = _decimal(row, "savingsPlan/SavingsPlanEffectiveCost", required=False)
    elif line_type == "DiscountedUsage":
        amortized = _decimal(row, "reservation/EffectiveCost", required=False)
    elif line_type in CUR_ZERO_AMORTIZED:
        amortized = Decimal("0")
    else:
        amortized = cost
    team_id, account_id, pairs = attribution.resolve(cur_tags_key([row.get(c) for c, _ in tag_columns], tag_columns),
                                                     sub_account)
    key = (day, period, "AWS", billing_account[:200], sub_account[:200], service[:200], region[:64], team_id, currency)
    return key, cost, amortized, _clean(row.get("lineItem/UsageAccountName"))[:200], \
        _clean(row.get("product/productFamily"))[:100], account_id, ("AWS", billing_account[:200], period), \
        _clean(row.get("lineItem/ResourceId"))[:512], "", pairs


def cur_tags_key(values: list[str | None], tag_columns: list[tuple[str, str]]) -> str:
    """A CUR row's ``resourceTags/*`` columns as the JSON object the attribution reads (sorted
    keys, empty values left out; "" when untagged)."""
    tags = {key: value for (_, key), raw in zip(tag_columns, values, strict=True) if (value := _clean(raw))}
    return json.dumps(tags, sort_keys=True) if tags else ""


def check_header(header: list[str], fmt: str | None, name: str) -> str:
    """The format of a file with this (stripped) header; ValidationError naming row 1 if unusable."""
    fmt = fmt or detect_format(header)
    if fmt is None:
        raise ValidationError(f"{name}: row 1: neither a FOCUS (BilledCost, ChargePeriodStart, ...) nor a CUR "
                              f"(lineItem/UnblendedCost, ...) header.")
    required = FOCUS_REQUIRED if fmt == FOCUS else CUR_REQUIRED
    missing = [c for c in required if c not in header]
    if missing:
        raise ValidationError(f"{name}: row 1: missing column{'s' if len(missing) > 1 else ''} "
                              f"{', '.join(missing)} for the {fmt.upper()} format.")
    return fmt


def cur_tag_columns(header: list[str]) -> list[tuple[str, str]]:
    return [(c, c.split("/", 1)[1]) for c in header if c.startswith("resourceTags/")]


def row_error(row: dict, *, fmt: str, attribution: Attribution, tag_columns: list[tuple[str, str]]) -> RowError | None:
    """What is wrong with one row (as the streaming reader would say it), or None."""
    try:
        if fmt == FOCUS:
            _focus_row(row, attribution)
        else:
            _cur_row(row, attribution, tag_columns)
    except RowError as exc:
        return exc
    return None


def parse_csv(
    text, *, name: str, fmt: str | None, attribution: Attribution, into: ParsedFile,
    progress: Callable[[int], None] | None = None, progress_every: int = 20_000,
) -> None:
    """Stream one CSV into ``into``. Raises ValidationError naming the file, row and column of the
    first bad row (nothing has been written at that point)."""
    reader = csv.reader(text)
    try:
        header = next(reader, None) or []
    except (csv.Error, UnicodeDecodeError, OSError, EOFError, zlib.error) as exc:
        raise ValidationError(f"{name}: row 1: the header cannot be read ({exc}).")
    header = [h.strip() for h in header]
    width = len(header)
    fmt = check_header(header, fmt, name)
    into.formats.add(fmt)
    tag_columns = cur_tag_columns(header)
    facts = into.facts
    rownum = 1
    try:
        with localcontext() as context:
            context.prec = SUM_PRECISION
            for values in reader:
                rownum += 1
                if len(values) != width:
                    if not values:
                        continue  # a blank line
                    raise RowError(header[len(values)] if len(values) < width else header[-1],
                                   f"the row has {len(values)} values, the header has {width} columns")
                row = dict(zip(header, values, strict=True))
                if fmt == FOCUS:
                    key, cost, amortized, sub_name, category, account_id, period, resource, res_name, pairs = _focus_row(
                        row, attribution)
                else:
                    key, cost, amortized, sub_name, category, account_id, period, resource, res_name, pairs = _cur_row(
                        row, attribution, tag_columns)
                for tag_key, tag_value in pairs:
                    into.add_tag((key[0], key[1], key[2], key[3], key[4], tag_key, tag_value, key[8]), cost, amortized)
                if resource:
                    into.add_resource((key[1], key[2], key[3], resource, key[8]), cost, key[5], key[4], key[7], res_name)
                fact = facts.get(key)
                if fact is None:
                    if into.spill is not None and len(facts) >= into.spill_limit:
                        into.spill(facts)  # bounded memory: partial sums go to the staging table
                        facts = into.facts = {}
                    facts[key] = Fact(cost=cost, amortized=amortized, sub_account_name=sub_name,
                                      service_category=category, account_id=account_id)
                    into.periods.add(period)
                else:
                    fact.cost += cost
                    fact.amortized += amortized
                    # Descriptive columns: the largest value seen (the SQL path takes max() too).
                    if sub_name > fact.sub_account_name:
                        fact.sub_account_name = sub_name
                    if category > fact.service_category:
                        fact.service_category = category
                into.rows += 1
                if progress and into.rows % progress_every == 0:
                    progress(into.rows)
    except RowError as exc:
        raise ValidationError(f"{name}: row {rownum}, column {exc.column}: {exc.message}.")
    except (csv.Error, UnicodeDecodeError) as exc:
        raise ValidationError(f"{name}: row {rownum + 1}: unreadable CSV ({exc}).")
    except (OSError, EOFError, zlib.error) as exc:  # truncated or corrupt gzip and the like
        raise ValidationError(f"{name}: after row {rownum}: the file cannot be read ({exc}).")
