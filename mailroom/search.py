"""Full-text search over folio, sender, subject and OCR text (FTS5, ``filings_fts``).

What a clerk types is never handed to MATCH as syntax: each whitespace-separated term becomes an
FTS5 string (so ``AND``, ``NEAR(``, ``col:x``, ``*``, ``^`` and stray quotes are just text), the
terms are ANDed, and the last one is a prefix so results follow the typing.

Accents: the tokenizer is ``unicode61 remove_diacritics 2``, which folds accents *and* the tilde
of ñ. "peticion" finds "petición", and "pena" and "peña" are the same word to the index. That is
the price of accent-insensitive search (many keyboards and many people leave accents and ñ out);
the snippet shows the original spelling, so the clerk sees which word matched.

Prefixes: without a prefix index (``filings_fts`` has none) FTS5 expands ``lic*`` by merging the
postings of every indexed word that starts with "lic", once per query cursor; for two or three
letters ("co", "pro") that is most of the index. So only a last word of ``MIN_PREFIX_LENGTH`` or
more characters is a prefix; shorter ones match as whole words.

Cost: bm25 and snippet() are per-row work, so a common word matching tens of thousands of filings
would be slow to rank in full. A query with up to ``RANK_WINDOW`` matches is ranked in full. A
broader one is ranked among its newest ``RANK_WINDOW`` matches plus the newest
``METADATA_WINDOW`` filings whose folio, sender or subject match (those must not vanish behind OCR
noise); its ``total`` is reported as None ("more than RANK_WINDOW"). Snippets are made only for
the page shown.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

import sqlite_utils

from mailroom.errors import InvalidInput

# bm25 weights per FTS column (folio, sender, subject, ocr_text): a hit in what the clerk captured
# outranks the same words somewhere in pages of OCR.
RANK_WEIGHTS = (10.0, 5.0, 5.0, 1.0)
SNIPPET_TOKENS = 12
MIN_PREFIX_LENGTH = 4  # see "Prefixes" above
RANK_WINDOW = 2000
METADATA_WINDOW = 1000

_BM25 = f"bm25(filings_fts, {', '.join(str(w) for w in RANK_WEIGHTS)})"
_SNIPPET = f"snippet(filings_fts, -1, '«', '»', '…', {SNIPPET_TOKENS})"
_METADATA_COLUMNS = "{folio sender subject}"


@dataclass(frozen=True)
class SearchHit:
    filing_id: str
    folio: str
    received_at: str
    sender: str
    subject: str
    status: str
    snippet: str  # from the best-matching column, matches between « and »
    rank: float  # bm25: lower is better


@dataclass(frozen=True)
class SearchResults:
    query: str
    hits: tuple[SearchHit, ...]
    total: int | None = None  # exact up to RANK_WINDOW; None means more than that


def build_match_query(text: str) -> str:
    """The user's text as a safe FTS5 expression, or '' when nothing in it can be searched."""
    terms = [_clean(term) for term in (text or "").split()]
    terms = [term for term in terms if _has_token(term)]
    if not terms:
        return ""
    quoted = ['"' + term.replace('"', '""') + '"' for term in terms]
    # A trailing space means the last word is finished; otherwise it is still being typed.
    if not text[-1].isspace() and len(_last_token(terms[-1])) >= MIN_PREFIX_LENGTH:
        quoted[-1] += "*"
    return " AND ".join(quoted)


def _clean(term: str) -> str:
    # NFC so a combining accent stays with its letter; control characters (NUL ends the FTS5
    # string early) and lone surrogates (SQLite cannot bind them) are dropped.
    term = unicodedata.normalize("NFC", term)
    return "".join(char for char in term if unicodedata.category(char)[0] != "C")


def _has_token(term: str) -> bool:
    # unicode61 keeps letters and digits and splits on everything else. A term with neither
    # ("*", '"', an emoji) is an empty phrase, which matches nothing and would empty the AND.
    return any(char.isalnum() for char in term)


def _last_token(term: str) -> str:
    token = ""
    for char in reversed(term):
        if char.isalnum():
            token = char + token
        elif token:
            break
    return token


@dataclass(frozen=True)
class _Filters:
    join: str = ""
    where: str = ""
    params: tuple[str, ...] = ()


def _filters(status: str | None, since: str | None, until: str | None) -> _Filters:
    since = None if since is None else _iso_date(since, "inicial")
    until = None if until is None else _iso_date(until, "final")
    if since is not None and until is not None and since > until:
        raise InvalidInput(
            f"La fecha inicial ({since}) es posterior a la final ({until}).", field="since"
        )
    clauses, params = [], []
    for clause, value in (
        ("f.status = ?", status),
        ("f.received_date >= ?", since),
        ("f.received_date <= ?", until),
    ):
        if value is not None:
            clauses.append(clause)
            params.append(value)
    if not clauses:
        return _Filters()
    return _Filters(
        "JOIN filings AS f ON f.rowid = filings_fts.rowid",
        "AND " + " AND ".join(clauses),
        tuple(params),
    )


def _iso_date(value: str, label: str) -> str:
    try:
        return date.fromisoformat(value).isoformat()
    except (TypeError, ValueError):
        raise InvalidInput(
            f"La fecha {label} «{value}» no es válida; use AAAA-MM-DD.",
            field="since" if label == "inicial" else "until",
        ) from None


def search(
    db: sqlite_utils.Database,
    text: str,
    *,
    limit: int = 20,
    offset: int = 0,
    status: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> SearchResults:
    """Filings matching ``text``, best first; ``since``/``until`` are inclusive 'YYYY-MM-DD'."""
    filters = _filters(status, since, until)
    match = build_match_query(text)
    if not match:
        return SearchResults(query=text, hits=(), total=0)
    newest = _newest(db, match, filters, RANK_WINDOW + 1)
    if len(newest) <= RANK_WINDOW:
        total, floor = len(newest), 0
    else:
        total, floor = None, newest[-1]
    ranked = _ranked(db, match, filters, floor, max(limit, 0), max(offset, 0))
    return SearchResults(query=text, hits=_hits(db, match, ranked), total=total)


def _newest(db: sqlite_utils.Database, match: str, filters: _Filters, count: int) -> list[int]:
    """Rowids of the newest ``count`` matches, newest first (rowids grow with registration)."""
    rows = db.execute(
        f"SELECT filings_fts.rowid FROM filings_fts {filters.join} "
        f"WHERE filings_fts MATCH ? {filters.where} ORDER BY filings_fts.rowid DESC LIMIT ?",
        [match, *filters.params, count],
    ).fetchall()
    return [row[0] for row in rows]


def _ranked(
    db: sqlite_utils.Database, match: str, filters: _Filters, floor: int, limit: int, offset: int
) -> list[tuple[int, float]]:
    """(rowid, bm25) of the page asked for, among the window above ``floor`` and the newest
    captured-field matches below it (all matches when ``floor`` is 0)."""
    sql = (
        f"SELECT filings_fts.rowid, {_BM25} AS score FROM filings_fts {filters.join} "
        f"WHERE filings_fts MATCH ? AND filings_fts.rowid > ? {filters.where}"
    )
    params: list[object] = [match]
    if floor:
        metadata = f"{_METADATA_COLUMNS} : ({match})"
        older = _newest(db, metadata, filters, METADATA_WINDOW + 1)
        metadata_floor = older[-1] if len(older) > METADATA_WINDOW else 0
        # Unary + keeps the IN list away from FTS5: pushed down, it would re-run the MATCH once
        # per rowid instead of checking membership while the one cursor walks the doclist.
        sql += (
            " AND (filings_fts.rowid > ? OR +filings_fts.rowid IN (SELECT rowid FROM "
            "filings_fts WHERE filings_fts MATCH ? AND rowid > ?))"
        )
        params += [min(floor, metadata_floor), *filters.params, floor, metadata, metadata_floor]
    else:
        params += [0, *filters.params]
    rows = db.execute(
        f"{sql} ORDER BY score, filings_fts.rowid DESC LIMIT ? OFFSET ?", [*params, limit, offset]
    ).fetchall()
    return [(int(rowid), float(score)) for rowid, score in rows]


def _hits(
    db: sqlite_utils.Database, match: str, ranked: list[tuple[int, float]]
) -> tuple[SearchHit, ...]:
    """The page's filings with snippets, in ranked order; snippet() runs only for these rows."""
    if not ranked:
        return ()
    rowids = [rowid for rowid, _ in ranked]
    marks = ", ".join("?" * len(rowids))
    # A plain IN seeks each rowid (cheap), but re-runs the MATCH per rowid, and a prefix term is
    # re-expanded each time: for prefix queries walk the rowid range once instead.
    membership = "+filings_fts.rowid" if match.endswith("*") else "filings_fts.rowid"
    rows = db.execute(
        f"SELECT filings_fts.rowid, f.uuid, f.folio, f.received_at, f.sender_name, f.subject, "
        f"f.status, {_SNIPPET} FROM filings_fts JOIN filings AS f ON f.rowid = filings_fts.rowid "
        "WHERE filings_fts MATCH ? AND filings_fts.rowid BETWEEN ? AND ? "
        f"AND {membership} IN ({marks})",
        [match, min(rowids), max(rowids), *rowids],
    ).fetchall()
    by_rowid = {row[0]: row for row in rows}
    return tuple(
        SearchHit(
            filing_id=row[1],
            folio=row[2],
            received_at=row[3],
            sender=row[4],
            subject=row[5],
            status=row[6],
            snippet=" ".join((row[7] or "").split()),  # OCR line breaks, one line
            rank=score,
        )
        for rowid, score in ranked
        if (row := by_rowid.get(rowid)) is not None
    )
