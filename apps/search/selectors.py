"""Global search: one box across meeting notes, decisions, action items, talks, the security
FAQ and AMA answers, bulletins, initiatives, people, teams and infrastructure resources.

Each kind (:mod:`apps.search.kinds`) starts from its app's own access-scoped selector, so a
result is always something the actor may open. Two ways to match:

- ``fulltext`` (PostgreSQL): ``websearch_to_tsquery`` with the English configuration, OR'ed with
  a prefix query (``word:*``) when the text uses no search operators, ranked by ``ts_rank`` with
  titles weighted above bodies, snippets from ``ts_headline``. Identifier fields (resource ids,
  ARNs, e-mail addresses, cost tags) also match by substring.
- ``simple`` (SQLite, or any database): every word must appear (``icontains``) in one of the
  kind's fields; snippets are cut around the first match in Python.

The backend follows the database; ``settings.SEARCH_BACKEND`` ("fulltext" or "simple") forces
one. Cost: one query per kind plus the few the scoping selectors need (the actor's reporting
chain, a bulletin's audience), whatever the number of matches.
"""
from __future__ import annotations

import operator
import re
from dataclasses import dataclass, field
from functools import reduce

from django.conf import settings
from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVector, SearchVectorField
from django.db import connection
from django.db.models import F, Func, Q, QuerySet, TextField, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Concat
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from apps.core.access import Actor
from apps.search.kinds import KIND_BY_KEY, KINDS, Kind

MAX_QUERY_CHARS = 200
MAX_TERMS = 8
MAX_LIMIT = 50
SNIPPET_CHARS = 240
FTS_CONFIG = "english"
FULLTEXT, SIMPLE = "fulltext", "simple"
BACKENDS = (FULLTEXT, SIMPLE)

# Private-use characters mark the highlighted words until the snippet is escaped for HTML.
START, STOP = "\ue000", "\ue001"
_MARKED = re.compile(f"{START}(.*?){STOP}", re.S)
_WORD = re.compile(r"[^\W_]+")
# Markdown syntax that would show as noise in a one-line snippet: emphasis and code marks,
# heading hashes, link targets (the link text stays).
_MARKDOWN_LINK = re.compile(r"!?\[([^\]]*)\]\([^)\s]*\)?")  # a snippet may cut a link short
_MARKDOWN_MARKS = re.compile(r"\*\*|~~|`+|(?m:^\s*#{1,6}\s+)|(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*])")


def plain_snippet(text: str) -> str:
    """The snippet's text without Markdown syntax (the highlight markers stay)."""
    return _MARKDOWN_MARKS.sub("", _MARKDOWN_LINK.sub(r"\1", text))


@dataclass(frozen=True)
class Hit:
    kind: str
    id: int
    title: str
    url: str
    meta: str
    marked_snippet: str
    rank: float | None = None

    @property
    def snippet(self) -> str:
        """Plain text."""
        return self.marked_snippet.replace(START, "").replace(STOP, "")

    @property
    def snippet_html(self) -> SafeString:
        """Escaped text with the matched words in ``<mark>``."""
        return render_marked(self.marked_snippet)


@dataclass
class Group:
    kind: Kind
    hits: list[Hit] = field(default_factory=list)
    has_more: bool = False

    @property
    def key(self) -> str:
        return self.kind.key

    @property
    def label(self) -> str:
        return self.kind.label


@dataclass
class SearchResults:
    query: str
    backend: str
    groups: list[Group] = field(default_factory=list)
    truncated: bool = False  # the text was cut to MAX_QUERY_CHARS

    @property
    def found(self) -> list[Group]:
        return [g for g in self.groups if g.hits]

    @property
    def total(self) -> int:
        return sum(len(g.hits) for g in self.groups)


# -- The query text ------------------------------------------------------------------------------
def clean_query(raw: str | None) -> tuple[str, bool]:
    """Printable text, whitespace collapsed, at most MAX_QUERY_CHARS; (text, was_truncated).
    NUL and other control characters (which PostgreSQL refuses) are dropped."""
    text = "".join(ch if ch.isprintable() else " " for ch in (raw or "") if ch not in (START, STOP))
    text = " ".join(text.split())
    if len(text) > MAX_QUERY_CHARS:
        return text[:MAX_QUERY_CHARS].rstrip(), True
    return text, False


def query_terms(q: str) -> list[str]:
    """The words the simple backend looks for: quotes and edge punctuation dropped, excluded
    words (``-word``) and ``or`` left out, at most MAX_TERMS."""
    terms: list[str] = []
    for token in q.split():
        if token.startswith("-") or token.lower() == "or":
            continue
        word = token.strip("\"'“”‘’.,;:!?()[]{}<>")
        if word and word.lower() not in (t.lower() for t in terms):
            terms.append(word)
    return terms[:MAX_TERMS]


def _uses_operators(q: str) -> bool:
    return '"' in q or any(t.startswith("-") or t.lower() == "or" for t in q.split())


def ts_query(q: str) -> SearchQuery:
    """websearch syntax ("quoted phrase", -exclude, or), plus prefixes while typing."""
    web = SearchQuery(q, search_type="websearch", config=FTS_CONFIG)
    if _uses_operators(q):
        return web
    words = _WORD.findall(q)[:MAX_TERMS]
    if not words:
        return web
    prefix = SearchQuery(" & ".join(f"{w}:*" for w in words), search_type="raw", config=FTS_CONFIG)
    return web | prefix


def default_backend() -> str:
    configured = getattr(settings, "SEARCH_BACKEND", None)
    if configured == SIMPLE:
        return SIMPLE
    return FULLTEXT if connection.vendor == "postgresql" else SIMPLE


# -- Snippets --------------------------------------------------------------------------------------
def render_marked(marked: str) -> SafeString:
    html = _MARKED.sub(lambda m: f"<mark>{m.group(1)}</mark>", str(escape(marked)))
    return mark_safe(html.replace(START, "").replace(STOP, ""))  # nosec B308 B703 - the text is escaped above; only <mark> is added


def mark_terms(text: str, terms: list[str], *, width: int = SNIPPET_CHARS) -> str:
    """A window of ``text`` around the first match, with every match between START/STOP."""
    text = " ".join((text or "").replace(START, "").replace(STOP, "").split())
    if not terms:
        return text[:width]
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.I)
    first = pattern.search(text)
    begin = 0
    if first is not None and first.start() > width // 4:
        begin = first.start() - width // 4
        space = text.find(" ", begin, first.start())  # start on a word boundary
        begin = space + 1 if space != -1 else begin
    window = text[begin:begin + width]
    marked = pattern.sub(lambda m: f"{START}{m.group(0)}{STOP}", window)
    return ("…" if begin else "") + marked + ("…" if begin + width < len(text) else "")


# -- Per kind ----------------------------------------------------------------------------------------
def scoped(kind: Kind, actor: Actor) -> QuerySet:
    """The kind's rows the actor may see: its app's selector, used as a filter so that the
    selector's own annotations and joins do not shape the search query."""
    scope = kind.scope(actor)
    qs = scope.model._default_manager.filter(pk__in=scope.order_by().values("pk"))
    return kind.narrow(qs, actor) if kind.narrow else qs


def _text_expression(fields: tuple[str, ...]):
    if len(fields) == 1:
        return F(fields[0])
    parts: list = []
    for name in fields:
        if parts:
            parts.append(Value(" "))
        parts.append(F(name))
    return Concat(*parts, output_field=TextField())


def fulltext_rows(qs: QuerySet, kind: Kind, q: str, *, limit: int) -> list[dict]:
    query = ts_query(q)
    vector = SearchVector(*kind.title_fields, weight="A", config=FTS_CONFIG)
    if kind.stored_body_vector:
        # Only a quoted table name from the model and a column name from the Kind table: no user input.
        column = f"{connection.ops.quote_name(qs.model._meta.db_table)}.{connection.ops.quote_name(kind.stored_body_vector)}"
        stored = RawSQL(f"setweight({column}, 'B')", (), output_field=SearchVectorField())  # nosec B611
        vector = Func(vector, stored, template="(%(expressions)s)", arg_joiner=" || ",
                      output_field=SearchVectorField())
    elif kind.body_fields:
        vector = vector + SearchVector(*kind.body_fields, weight="B", config=FTS_CONFIG)
    match = Q(search_document=query)
    for name in kind.identifier_fields:
        match |= Q(**{f"{name}__icontains": q})
    headline = SearchHeadline(
        _text_expression(kind.body_fields or kind.title_fields), query, config=FTS_CONFIG,
        start_sel=START, stop_sel=STOP, max_words=35, min_words=15, max_fragments=2, fragment_delimiter=" … ",
    )
    columns = list(dict.fromkeys(("pk", *kind.row_fields)))
    # No stored tsvector columns: to_tsvector runs per visible row (PostgreSQL postpones
    # ts_headline past the LIMIT). See bench/bench_search.py for what that costs.
    return list(
        qs.annotate(search_document=vector).filter(match)
        .annotate(search_rank=SearchRank(F("search_document"), query), search_snippet=headline)
        .order_by("-search_rank", "-pk")
        .values(*columns, "search_rank", "search_snippet")[: limit + 1]
    )


def simple_rows(qs: QuerySet, kind: Kind, terms: list[str], *, limit: int) -> list[dict]:
    """The fallback: each word must appear in one of the kind's fields (case-insensitive)."""
    if not terms:
        return []
    condition = reduce(operator.and_, (
        reduce(operator.or_, (Q(**{f"{name}__icontains": term}) for name in kind.search_fields))
        for term in terms
    ))
    text_fields = kind.body_fields or kind.title_fields
    columns = list(dict.fromkeys(("pk", *kind.row_fields, *text_fields)))
    rows = list(qs.filter(condition).order_by("-pk").values(*columns)[: limit + 1])
    for row in rows:
        text = " ".join(str(row[name]) for name in text_fields if row[name])
        row["search_rank"] = None
        row["search_snippet"] = mark_terms(text, terms)
    return rows


def _hits(kind: Kind, rows: list[dict]) -> list[Hit]:
    hits = []
    for row in rows:
        title, url, meta = kind.present(row)
        rank = row["search_rank"]
        hits.append(Hit(kind=kind.key, id=row["pk"], title=title, url=url, meta=meta,
                        marked_snippet=plain_snippet(row["search_snippet"] or ""),
                        rank=round(float(rank), 6) if rank is not None else None))
    return hits


def search(*, actor: Actor, q: str | None, kind: str | None = None, limit: int = 5,
           backend: str | None = None) -> SearchResults:
    """Up to ``limit`` hits per kind (all kinds, or the one named), best first.

    ``kind`` must be a key of :data:`apps.search.kinds.KIND_BY_KEY` (``ValueError`` otherwise).
    An empty text, or an actor without a portal role, finds nothing."""
    if kind is not None and kind not in KIND_BY_KEY:
        raise ValueError(f"Unknown kind {kind!r}.")
    if backend is not None and backend not in BACKENDS:
        raise ValueError(f"Unknown search backend {backend!r}.")
    text, truncated = clean_query(q)
    backend = backend or default_backend()
    results = SearchResults(query=text, backend=backend, truncated=truncated)
    if not text or not actor.is_authenticated:
        return results
    limit = max(1, min(limit, MAX_LIMIT))
    terms = query_terms(text)
    for k in ([KIND_BY_KEY[kind]] if kind else KINDS):
        qs = scoped(k, actor)
        rows = fulltext_rows(qs, k, text, limit=limit) if backend == FULLTEXT else simple_rows(qs, k, terms, limit=limit)
        results.groups.append(Group(kind=k, hits=_hits(k, rows[:limit]), has_more=len(rows) > limit))
    return results
