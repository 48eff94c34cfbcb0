"""The *libro de registro*: the day's filings in folio order, as CSV for the supervisor."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date
from typing import TextIO

import sqlite_utils

COLUMNS = (
    ("folio", "Folio"),
    ("received_at", "Recibido"),
    ("channel", "Canal"),
    ("sender_name", "Remitente"),
    ("sender_organization", "Dependencia u organización"),
    ("subject", "Asunto"),
    ("document_number", "Número de oficio"),
    ("areas", "Área turnada"),
    ("fojas_declared", "Fojas declaradas"),
    ("pages_scanned", "Páginas digitalizadas"),
    ("annexes", "Anexos"),
    ("status", "Estado"),
    ("sync_status", "Sincronización"),
    ("institutional_folio", "Folio institucional"),
    ("clerk", "Recibió"),
)


def day_rows(db: sqlite_utils.Database, day: date) -> Iterator[dict[str, object]]:
    sql = """
        SELECT f.*,
          (SELECT group_concat(area || CASE role WHEN 'copia' THEN ' (copia)' ELSE '' END, '; ')
             FROM filing_addressees WHERE filing_uuid = f.uuid) AS areas,
          (SELECT group_concat(description || ' (' || pages || ' fojas)', '; ')
             FROM annexes WHERE filing_uuid = f.uuid) AS annexes
        FROM filings f WHERE f.received_date = ? ORDER BY f.device, f.seq
    """
    yield from db.query(sql, [day.isoformat()])


def write_csv(db: sqlite_utils.Database, day: date, out: TextIO) -> int:
    writer = csv.writer(out)
    writer.writerow([label for _, label in COLUMNS])
    count = 0
    for row in day_rows(db, day):
        writer.writerow(["" if row[key] is None else row[key] for key, _ in COLUMNS])
        count += 1
    return count
