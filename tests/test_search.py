from __future__ import annotations

import random

import pytest
import sqlite_utils

from mailroom import search as search_module
from mailroom.errors import InvalidInput
from mailroom.search import build_match_query, search
from mailroom.store import Store

FOLIO = "OPM-2026-C01-{:06d}"


@pytest.fixture
def db(store: Store) -> sqlite_utils.Database:
    return store.reader()


def add_filing(
    store: Store,
    seq: int,
    *,
    sender: str = "Juan Pérez López",
    subject: str = "Solicitud de información",
    ocr_text: str = "",
    status: str = "registrada",
    received_date: str = "2026-03-10",
) -> str:
    """A filing row with every NOT NULL column, and its search row under the same rowid."""
    uuid = f"00000000-0000-7000-8000-{seq:012d}"
    folio = FOLIO.format(seq)

    def insert(db: sqlite_utils.Database) -> None:
        db.execute(
            "INSERT INTO filings (uuid, folio, office, device, year, seq, received_at, "
            "received_date, channel, sender_name, subject, document_number, pages_scanned, "
            "priority, clerk, status, sync_status) "
            "VALUES (?, ?, 'OPM', 'C01', 2026, ?, ?, ?, 'ventanilla', ?, ?, 'S/N', 1, 'normal', "
            "'ventanilla1', ?, 'pendiente')",
            [
                uuid,
                folio,
                seq,
                f"{received_date}T10:00:00-06:00",
                received_date,
                sender,
                subject,
                status,
            ],
        )
        rowid = db.execute("SELECT rowid FROM filings WHERE uuid = ?", [uuid]).fetchone()[0]
        db.execute(
            "INSERT INTO filings_fts (rowid, folio, sender, subject, ocr_text) "
            "VALUES (?, ?, ?, ?, ?)",
            [rowid, folio, sender, subject, ocr_text],
        )

    store.write(insert)
    return uuid


def folios(results: search_module.SearchResults) -> list[str]:
    return [hit.folio for hit in results.hits]


# --- building the MATCH expression -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("licencia", '"licencia"*'),
        ("licencia obras", '"licencia" AND "obras"*'),
        ("licencia obras ", '"licencia" AND "obras"'),  # finished word: no prefix
        ("OPM-2026-C01-000012", '"OPM-2026-C01-000012"*'),
        ('di"jo', '"di""jo"'),  # 'jo' is too short to be a prefix
        ("AND OR NOT", '"AND" AND "OR" AND "NOT"'),
        ("a", '"a"'),
        ("lic", '"lic"'),
        ('* " ^ 😀', ""),
        ("   ", ""),
        ("", ""),
    ],
)
def test_build_match_query_quotes_every_term(text: str, expected: str) -> None:
    assert build_match_query(text) == expected


def test_build_match_query_drops_characters_sqlite_cannot_take() -> None:
    assert build_match_query("pe\x00ti\ud800cion") == '"peticion"*'


# --- what the clerk finds ----------------------------------------------------------------------


def test_empty_or_blank_text_returns_nothing_without_error(store: Store, db) -> None:
    add_filing(store, 1)
    for text in ["", "   ", "\t\n"]:
        results = search(db, text)
        assert results.hits == () and results.total == 0 and results.query == text


def test_accents_do_not_matter(store: Store, db) -> None:
    add_filing(store, 1, subject="Petición de poda de árbol")
    add_filing(store, 2, ocr_text="el ciudadano presenta su peticion por escrito")
    assert folios(search(db, "peticion")) == [FOLIO.format(1), FOLIO.format(2)]
    assert len(search(db, "PETICIÓN").hits) == 2
    assert folios(search(db, "arbol poda")) == [FOLIO.format(1)]


def test_n_with_tilde_folds_into_n(store: Store, db) -> None:
    # Documented trade-off of remove_diacritics 2: "Peña" and "pena" are one word to the index.
    add_filing(store, 1, sender="Lucía Peña Ibáñez")
    add_filing(store, 2, ocr_text="se impone la pena máxima")
    assert set(folios(search(db, "pena "))) == {FOLIO.format(1), FOLIO.format(2)}
    assert set(folios(search(db, "peña "))) == {FOLIO.format(1), FOLIO.format(2)}
    assert folios(search(db, "ibanez")) == [FOLIO.format(1)]


def test_folio_found_whole_in_part_and_while_typing(store: Store, db) -> None:
    for seq in (12, 13, 120):
        add_filing(store, seq)
    assert folios(search(db, "OPM-2026-C01-000012")) == [FOLIO.format(12)]
    assert folios(search(db, "opm-2026-c01-000012 ")) == [FOLIO.format(12)]
    assert folios(search(db, "000012")) == [FOLIO.format(12)]
    assert folios(search(db, "C01-000013")) == [FOLIO.format(13)]
    assert set(folios(search(db, "OPM-2026-C01-0001"))) == {FOLIO.format(120)}
    assert len(search(db, "OPM-2026-C01-0000").hits) == 2


def test_the_last_word_is_a_prefix_until_it_is_finished(store: Store, db) -> None:
    add_filing(store, 1, subject="Licencia de construcción")
    assert folios(search(db, "licen")) == [FOLIO.format(1)]
    assert folios(search(db, "construccion lice")) == [FOLIO.format(1)]
    assert search(db, "licen ").hits == ()
    assert search(db, "lic").hits == ()  # too short to expand: matched as the word "lic"


def test_all_terms_must_match(store: Store, db) -> None:
    add_filing(store, 1, subject="Licencia de construcción", ocr_text="obras públicas")
    add_filing(store, 2, subject="Licencia de funcionamiento")
    assert folios(search(db, "licencia obras")) == [FOLIO.format(1)]
    assert len(search(db, "licencia ").hits) == 2


HOSTILE = [
    "AND",
    "OR",
    "NOT",
    "NEAR(",
    "NEAR(a b",
    "sender:Juan",
    "folio:*",
    "*",
    '"',
    '""',
    "^",
    "^juan",
    '"juan',
    'juan"',
    "(",
    ")",
    "{folio}",
    "{",
    "a OR",
    "- juan",
    "+",
    ":",
    "😀",
    "🇲🇽 juan",
    "juan 😀",
    "\x00",
    "'; DROP TABLE filings; --",
    "%",
    "_",
    "\\",
    "juan AND",
    "NEAR(juan pérez, 2)",
    "*juan",
    "juan*",
    "ju*an",
    "\u0301",
    "a" * 5000,
    "'",
    "\ufeff",
    "\u200b",
    "\ud83d",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_never_raises(store: Store, db, text: str) -> None:
    add_filing(store, 1, sender="Juan Pérez", ocr_text="juan and or not near")
    results = search(db, text)
    assert results.query == text
    assert "filings" in db.table_names()


def test_random_unicode_never_raises(store: Store, db) -> None:
    add_filing(store, 1, ocr_text="texto de prueba")
    rng = random.Random(7)
    alphabet = [
        "aeiouñáé",
        "AND",
        "OR",
        "NEAR",
        "(",
        ")",
        '"',
        "*",
        "^",
        ":",
        "{",
        "}",
        "-",
        "+",
        "0",
        "1",
        "😀",
        "\u0301",
        "\x00",
        "\t",
    ]
    for _ in range(300):
        text = "".join(rng.choice(alphabet + [" "]) for _ in range(rng.randint(1, 12)))
        search(db, text)
        search(db, "".join(chr(rng.randint(1, 0x2FFFF)) for _ in range(rng.randint(1, 8))))


def test_a_folio_match_outranks_an_ocr_mention(store: Store, db) -> None:
    # Short OCR text repeating the folio: without column weights it would rank first.
    add_filing(store, 1, ocr_text="OPM-2026-C01-000002 OPM-2026-C01-000002")
    add_filing(store, 2)
    assert folios(search(db, "OPM-2026-C01-000002")) == [FOLIO.format(2), FOLIO.format(1)]
    ranks = [hit.rank for hit in search(db, "000002").hits]
    assert ranks == sorted(ranks) and ranks[0] < ranks[1]


def test_sender_and_subject_outrank_ocr_text(store: Store, db) -> None:
    add_filing(store, 1, sender="Ana", subject="Oficio", ocr_text="Hernández Hernández")
    add_filing(store, 2, sender="María Hernández Ruiz")
    add_filing(store, 3, subject="Queja contra Hernández")
    hits = folios(search(db, "hernandez"))
    assert hits[-1] == FOLIO.format(1)
    assert set(hits[:2]) == {FOLIO.format(2), FOLIO.format(3)}


def test_snippet_marks_the_matched_word_in_its_original_spelling(store: Store, db) -> None:
    add_filing(
        store,
        1,
        subject="Trámite",
        ocr_text="Por medio del presente escrito presento mi petición de apoyo",
    )
    [hit] = search(db, "peticion").hits
    assert "«petición»" in hit.snippet
    assert "Trámite" not in hit.snippet  # the snippet comes from the column that matched


def test_snippet_of_a_folio_match_shows_the_folio(store: Store, db) -> None:
    add_filing(store, 7, ocr_text="x " * 50)
    [hit] = search(db, "000007").hits
    assert "«000007»" in hit.snippet


def test_hit_carries_the_filing_fields(store: Store, db) -> None:
    uuid = add_filing(
        store, 5, sender="Ana Ruiz", subject="Poda", status="turnada", received_date="2026-02-01"
    )
    [hit] = search(db, "poda").hits
    assert (hit.filing_id, hit.folio, hit.sender, hit.subject, hit.status) == (
        uuid,
        FOLIO.format(5),
        "Ana Ruiz",
        "Poda",
        "turnada",
    )
    assert hit.received_at == "2026-02-01T10:00:00-06:00"
    assert isinstance(hit.rank, float)


def test_ocr_text_added_after_registration_is_found(store: Store, db) -> None:
    add_filing(store, 1, subject="Escrito")
    assert search(db, "alumbrado").hits == ()
    store.write(
        lambda w: w.execute(
            "UPDATE filings_fts SET ocr_text = ? WHERE rowid = "
            "(SELECT rowid FROM filings WHERE folio = ?)",
            ["falla de alumbrado público", FOLIO.format(1)],
        )
    )
    assert folios(search(db, "alumbrado")) == [FOLIO.format(1)]


def test_filters_by_status_and_received_date(store: Store, db) -> None:
    add_filing(store, 1, subject="bache", status="registrada", received_date="2026-01-15")
    add_filing(store, 2, subject="bache", status="turnada", received_date="2026-02-15")
    add_filing(store, 3, subject="bache", status="turnada", received_date="2026-03-15")
    turned = search(db, "bache", status="turnada", since="2026-02-15")
    assert set(folios(turned)) == {FOLIO.format(2), FOLIO.format(3)}
    assert folios(search(db, "bache", until="2026-01-15")) == [FOLIO.format(1)]
    assert folios(search(db, "bache", since="2026-02-01", until="2026-02-28")) == [FOLIO.format(2)]
    assert search(db, "bache", status="cancelada").hits == ()
    assert search(db, "bache", status="turnada").total == 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"since": "15/02/2026"}, "La fecha inicial «15/02/2026» no es válida; use AAAA-MM-DD."),
        ({"until": "2026-02-30"}, "La fecha final «2026-02-30» no es válida"),
        (
            {"since": "2026-03-01", "until": "2026-02-01"},
            "La fecha inicial (2026-03-01) es posterior a la final (2026-02-01).",
        ),
    ],
)
def test_bad_date_filters_are_explained(db, kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidInput) as error:
        search(db, "bache", **kwargs)
    assert message in str(error.value)


def test_pages_do_not_overlap_and_total_counts_all(store: Store, db) -> None:
    for seq in range(1, 26):
        add_filing(store, seq, subject="Solicitud de poda", ocr_text="poda " * (seq % 5))
    first = search(db, "poda", limit=10)
    second = search(db, "poda", limit=10, offset=10)
    third = search(db, "poda", limit=10, offset=20)
    seen = folios(first) + folios(second) + folios(third)
    assert len(seen) == 25 == len(set(seen))
    assert first.total == 25
    ranks = [hit.rank for page in (first, second, third) for hit in page.hits]
    assert ranks == sorted(ranks)


def test_broad_queries_keep_older_captured_field_matches(
    store: Store, db, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_module, "RANK_WINDOW", 3)
    monkeypatch.setattr(search_module, "METADATA_WINDOW", 2)
    add_filing(store, 1, sender="Rosa Guzmán", ocr_text="")  # oldest, matched by sender
    add_filing(store, 2, ocr_text="turnar a Guzmán")  # older OCR mention: outside the window
    for seq in range(3, 9):
        add_filing(store, seq, ocr_text=f"copia a Guzmán número {seq}")
    results = search(db, "guzman")
    assert results.total is None  # more matches than the window
    assert results.hits[0].folio == FOLIO.format(1)
    assert FOLIO.format(2) not in folios(results)
    assert set(folios(results)[1:]) == {FOLIO.format(seq) for seq in (6, 7, 8)}


def test_broad_queries_respect_filters(store: Store, db, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search_module, "RANK_WINDOW", 2)
    add_filing(store, 1, ocr_text="bache", received_date="2026-01-01")
    for seq in range(2, 8):
        add_filing(store, seq, ocr_text="bache", received_date="2026-03-01")
    # The window is taken among filtered matches, so an old filing is not crowded out.
    assert folios(search(db, "bache", until="2026-01-31")) == [FOLIO.format(1)]
