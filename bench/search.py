"""Search latency on a synthetic office: ``.venv/bin/python bench/search.py [--filings 100000]``.

Builds a temporary store with N filings whose OCR text is 200–400 words of Spanish-looking
administrative prose (Zipf-distributed vocabulary with accents and ñ, names, folios, amounts),
then times a mix of queries through :func:`mailroom.search.search` and, as a baseline, a few of
the same terms as ``LIKE '%term%'`` scans. Prints figures and PASS/FAIL against the target; the
exit status is always 0 (this is a measurement, not a test).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mailroom.search import search  # noqa: E402
from mailroom.store import Store, immediate  # noqa: E402

TARGET_P95_MS = 20.0


def words(text: str) -> list[str]:
    return text.split()


OFFICE, DEVICE = "OPM", "C01"

COMMON = words("""
de la que el en y a los se del las un por con no una su para es al lo como más o pero sus le ha
me si sin sobre este ya entre cuando todo esta ser son dos también fue había era muy años hasta
desde está mi porque qué sólo han yo hay vez puede todos así nos ni parte tiene él uno donde bien
tiempo mismo ese ahora cada e vida otro después te otros aunque esa eso hace otra gobierno tan
durante siempre día tanto ella tres sí dijo sido gran país según menos año antes estado
""")
DOMAIN = words("""
solicitud petición escrito oficio trámite licencia permiso construcción predio municipio
ayuntamiento presidente municipal secretaría dirección jurídico tesorería catastro obras públicas
desarrollo urbano ecología protección civil seguridad pública tránsito vialidad agua potable
alcantarillado alumbrado limpia panteón mercado rastro registro civil acta nacimiento matrimonio
defunción constancia residencia certificado copia certificada expediente número folio fecha
atentamente ciudadano ciudadana solicito respetuosamente manifiesto bajo protesta decir verdad
domicilio colonia calle avenida código postal teléfono correo electrónico anexo fojas original
copia simple identificación oficial credencial elector comprobante pago derechos recibo predial
impuesto adeudo multa recargo descuento condonación prórroga plazo término días hábiles
notificación resolución acuerdo dictamen inspección verificación clausura suspensión queja
denuncia inconformidad recurso revisión amparo demanda juicio audiencia comparecencia pruebas
alegatos sentencia ejecución cumplimiento requerimiento apercibimiento sanción artículo fracción
párrafo ley reglamento código estatal federal constitución política estados unidos mexicanos
derecho petición octavo transparencia acceso información datos personales protección
aviso privacidad consentimiento titular responsable tratamiento finalidad uso suelo zonificación
factibilidad alineamiento número oficial subdivisión fusión lotificación fraccionamiento
régimen condominio escrituración regularización tenencia tierra ejido comunal propiedad privada
arrendamiento comodato donación compraventa avalúo valor catastral superficie metros cuadrados
colindancias norte sur oriente poniente croquis plano ubicación localización coordenadas
comerciante ambulante puesto tianguis giro comercial apertura refrendo anuencia alcoholes horario
funcionamiento espectáculo evento público verbena feria fiestas patronales jaripeo baile
señalamiento bache banqueta guarnición drenaje fuga socavón árbol poda tala derribo basura
recolección contenedor relleno sanitario perro callejero fauna nociva fumigación descacharrización
beca apoyo despensa programa social adulto mayor discapacidad madre soltera jefa familia pensión
empleo temporal capacitación taller curso deportiva cancha unidad biblioteca casa cultura
educación escuela primaria secundaria bachillerato maestro director supervisor zona escolar
salud centro clínica hospital médico enfermera medicamento vacunación campaña brigada jornada
peña niño niña año señor señora compañía montaña dueño pequeño diseño enseñanza
""")
GIVEN = words("""
María José Juan Guadalupe Francisco Antonio Jesús Alejandro Miguel Ángel Pedro Manuel Fernando
Rosa Patricia Verónica Leticia Martha Elizabeth Alejandra Laura Gabriela Margarita Silvia Ramón
Sofía Valentina Regina Ximena Andrés Sebastián Santiago Mateo Emiliano Héctor Raúl Rubén Óscar
""")
SURNAMES = words("""
Hernández García Martínez López González Pérez Rodríguez Sánchez Ramírez Cruz Flores Gómez
Morales Vázquez Reyes Jiménez Torres Díaz Gutiérrez Ruiz Mendoza Aguilar Ortiz Moreno Castillo
Romero Álvarez Méndez Chávez Rivera Juárez Ramos Domínguez Herrera Medina Castro Vargas Guzmán
Velázquez Muñoz Rojas Contreras Salazar Luna Ortega Núñez Peña Ibáñez Zúñiga Cervantes Orduña
""")
STATUSES = ["registrada", "turnada", "recibida_por_area", "en_tramite", "atendida", "archivada"]
SYLLABLES = words(
    "ba be bi bo bu ca co cu cha che chi da de di do fa fe fi ga go gue gui ja je jo la "
    "le li lo lu ma me mi mo mu na ne ni no ña ño pa pe pi po pu ra re ri ro ru sa se si "
    "so su ta te ti to tu va ve vi xo ya yo za zo tlá tzi xó huí"
)


def vocabulary(rng: random.Random, tail: int = 30_000) -> list[str]:
    """Frequent words first, then a long tail of rare tokens, as OCR output has."""
    words = COMMON + DOMAIN + GIVEN + SURNAMES
    seen = {w.lower() for w in words}
    while len(words) < len(COMMON) + len(DOMAIN) + tail:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def ocr_texts(rng: random.Random, words: list[str]) -> Iterator[str]:
    weights = [1.0 / (rank + 8) for rank in range(len(words))]  # Zipf–Mandelbrot
    cumulative, total = [], 0.0
    for weight in weights:
        total += weight
        cumulative.append(total)
    while True:
        tokens = rng.choices(words, cum_weights=cumulative, k=rng.randint(200, 400))
        for _ in range(rng.randint(1, 3)):  # amounts, dates, references: typical of OCR'd letters
            tokens.insert(
                rng.randrange(len(tokens)),
                rng.choice(
                    [
                        f"${rng.randint(100, 99_999):,}.00",
                        f"{rng.randint(1, 28)}/{rng.randint(1, 12)}/2025",
                        f"SM/{rng.randint(1, 999):03d}/2026",
                    ]
                ),
            )
        yield " ".join(tokens)


def person(rng: random.Random) -> str:
    return f"{rng.choice(GIVEN)} {rng.choice(SURNAMES)} {rng.choice(SURNAMES)}"


def subject(rng: random.Random, words: list[str]) -> str:
    return " ".join(rng.choice(DOMAIN) for _ in range(rng.randint(3, 8))).capitalize()


def rows(count: int, seed: int) -> Iterator[tuple[tuple[object, ...], tuple[object, ...]]]:
    rng = random.Random(seed)
    words = vocabulary(rng)
    texts = ocr_texts(rng, words)
    start = date(2026, 1, 2)
    for seq in range(1, count + 1):
        day = start + timedelta(days=seq * 300 // count)
        folio = f"{OFFICE}-2026-{DEVICE}-{seq:06d}"
        sender, about = person(rng), subject(rng, words)
        filing = (
            seq,
            f"00000000-0000-7000-8000-{seq:012d}",
            folio,
            OFFICE,
            DEVICE,
            2026,
            seq,
            f"{day.isoformat()}T10:{seq % 60:02d}:00-06:00",
            day.isoformat(),
            "ventanilla",
            sender,
            about,
            "S/N",
            1,
            "normal",
            "bench",
            rng.choice(STATUSES),
            "pendiente",
        )
        yield filing, (seq, folio, sender, about, next(texts))


FILING_SQL = """INSERT INTO filings (rowid, uuid, folio, office, device, year, seq, received_at,
    received_date, channel, sender_name, subject, document_number, pages_scanned, priority, clerk,
    status, sync_status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""
FTS_SQL = "INSERT INTO filings_fts (rowid, folio, sender, subject, ocr_text) VALUES (?, ?, ?, ?, ?)"


def build(store: Store, count: int, seed: int) -> float:
    started = time.perf_counter()
    db = store.reader()  # a private temp store: no writer thread needed
    batch: list[tuple[tuple[object, ...], tuple[object, ...]]] = []
    with immediate(db):
        for pair in rows(count, seed):
            batch.append(pair)
            if len(batch) == 5000:
                _flush(db, batch)
        _flush(db, batch)
    return time.perf_counter() - started


def _flush(db, batch) -> None:  # type: ignore[no-untyped-def]
    # The FTS row shares the filing's rowid, as intake does; here both are the sequence number.
    db.conn.executemany(FILING_SQL, [filing for filing, _ in batch])
    db.conn.executemany(FTS_SQL, [fts for _, fts in batch])
    batch.clear()


def query_mix(count: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed + 1)
    words = vocabulary(random.Random(seed))
    kinds: list[tuple[str, Callable[[], str]]] = [
        ("palabra común", lambda: rng.choice(DOMAIN[:60])),
        ("palabra rara", lambda: rng.choice(words[-20_000:])),
        ("folio completo", lambda: f"{OFFICE}-2026-{DEVICE}-{rng.randint(1, count):06d}"),
        ("folio parcial", lambda: f"{rng.randint(1, count):06d}"),
        ("dos palabras", lambda: f"{rng.choice(DOMAIN)} {rng.choice(DOMAIN)} "),
        ("prefijo", lambda: rng.choice(DOMAIN)[: rng.randint(3, 5)]),
        ("sin acentos", lambda: _strip_accents(rng.choice([w for w in DOMAIN if _accented(w)]))),
        ("remitente", lambda: f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}"),
    ]
    return [(name, make()) for _ in range(40) for name, make in kinds]


def _accented(word: str) -> bool:
    return _strip_accents(word) != word


def _strip_accents(word: str) -> str:
    return word.translate(str.maketrans("áéíóúñÁÉÍÓÚÑ", "aeiounAEIOUN"))


def timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return (time.perf_counter() - started) * 1000


def percentiles(label: str, times: list[float]) -> float:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    print(
        f"  {label:<28} n={len(ordered):<4} p50={statistics.median(ordered):8.2f} ms  "
        f"p95={p95:8.2f} ms  max={ordered[-1]:8.2f} ms"
    )
    return p95


def like_baseline(db, term: str) -> list[object]:  # type: ignore[no-untyped-def]
    pattern = f"%{term}%"
    return db.execute(
        "SELECT f.uuid FROM filings_fts JOIN filings AS f ON f.rowid = filings_fts.rowid "
        "WHERE filings_fts.folio LIKE ? OR filings_fts.sender LIKE ? OR filings_fts.subject LIKE ? "
        "OR filings_fts.ocr_text LIKE ? ORDER BY f.received_at DESC LIMIT 20",
        [pattern] * 4,
    ).fetchall()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--filings", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--like-queries", type=int, default=24)
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="keep the store here and reuse it on the next run (default: temporary)",
    )
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="oficialia-bench-") as folder,
        Store(args.data_dir or Path(folder)) as store,
    ):
        existing = store.reader().execute("SELECT count(*) FROM filings").fetchone()[0]
        if existing not in (0, args.filings):
            sys.exit(f"{store.data_dir} holds {existing:,} filings, not {args.filings:,}")
        if existing:
            print(f"Reutilizando {existing:,} escritos de {store.data_dir}")
        else:
            seconds = build(store, args.filings, args.seed)
            size = store.database_path.stat().st_size / 1e6
            print(
                f"Construcción: {args.filings:,} escritos en {seconds:.1f} s "
                f"({args.filings / seconds:,.0f}/s), base de {size:,.0f} MB"
            )
        run_queries(store, args)


def run_queries(store: Store, args: argparse.Namespace) -> None:
    db = store.reader()
    mix = query_mix(args.filings, args.seed)
    for _, text in mix[:20]:  # warm the page cache, as a running app would be
        search(db, text)
    by_kind: dict[str, list[float]] = {}
    slowest: list[tuple[float, str]] = []
    empty = 0
    for kind, text in mix:
        elapsed = timed(lambda text=text: search(db, text))
        by_kind.setdefault(kind, []).append(elapsed)
        slowest.append((elapsed, text))
        empty += not search(db, text).hits
    print(f"FTS5 ({len(mix)} consultas, {empty} sin resultados):")
    for kind, times in by_kind.items():
        percentiles(kind, times)
    p95 = percentiles("TODAS", [t for times in by_kind.values() for t in times])
    print(
        "  más lentas: "
        + ", ".join(f"{text!r} {ms:.1f} ms" for ms, text in sorted(slowest, reverse=True)[:6])
    )
    sample = mix[:: max(1, len(mix) // args.like_queries)][: args.like_queries]
    like_times = [timed(lambda text=text: like_baseline(db, text.strip())) for _, text in sample]
    print("Línea base LIKE '%término%' (mismos tipos de consulta):")
    percentiles("LIKE", like_times)
    verdict = "PASS" if p95 <= TARGET_P95_MS else "FAIL"
    print(f"{verdict}: p95 de FTS5 = {p95:.2f} ms (objetivo ≤ {TARGET_P95_MS:.0f} ms)")


if __name__ == "__main__":
    main()
