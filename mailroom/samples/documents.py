"""The sample documents: what each one says and how it is laid out, before anything is drawn.

Every random choice comes from a generator seeded here, so the same documents come out on every
run.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from mailroom.samples.model import Document, Line, PageStyle, Table
from mailroom.samples.paginate import Block, fit_pages, paginate
from mailroom.samples.texts import (
    AGENCY_SENTENCES,
    BUDGET,
    CITIZEN_SENTENCES,
    COLONOS,
    COLONOS_SENDER,
    FUNDING,
    GIVEN_NAMES,
    LAW,
    LOCALITIES,
    MAYOR_ADDRESS,
    MONTHS,
    OFICIO_ENCLOSURES,
    OFICIO_NUMBER,
    ORDINALS,
    PLACE,
    REQUESTS,
    SCHEDULE,
    STREETS,
    SURNAMES,
)

SERIF = PageStyle()
SANS = PageStyle("sans", 11.0, 1.45)


def escrito() -> Document:
    """The citizens' escrito to the mayor: 10 fojas with tables and a list of signatories."""
    return Document(
        "escrito-10-fojas.pdf",
        "escaneado",
        COLONOS_SENDER,
        "Solicitud de regularización de predios y pavimentación de la calle Niños Héroes",
        tuple(fit_pages(_escrito_blocks, SERIF, 10)),
    )


def solicitud() -> Document:
    """A one-page request for a certificate of residence."""
    return Document(
        "solicitud.jpg",
        "escaneado",
        "María Fernanda Peña Ortiz",
        "Solicitud de constancia de residencia",
        tuple(paginate(_solicitud_blocks(), SERIF, numbered=False)),
    )


def comprobante() -> Document:
    """A one-page property-tax receipt, in the sans face receipts are printed in."""
    return Document(
        "comprobante.png",
        "escaneado",
        "Rubén Darío Núñez Álvarez",
        "Comprobante de pago del impuesto predial 2025",
        tuple(paginate(_comprobante_blocks(), SANS, numbered=False)),
        SANS,
    )


def anexos() -> Document:
    """The escrito's three pages of annexes."""
    return Document(
        "anexos.tif",
        "escaneado",
        COLONOS_SENDER,
        "Anexos de la solicitud de regularización de predios",
        tuple(paginate(_anexos_blocks(), SERIF)),
    )


def oficio() -> Document:
    """The state water commission's 10-page oficio, with tables and a technical annex."""
    return Document(
        "oficio-digital.pdf",
        "digital",
        "Ing. Rodrigo Báez Villaseñor",
        f"Oficio {OFICIO_NUMBER}: programa de obras de agua potable y saneamiento 2025",
        tuple(fit_pages(_oficio_blocks, SANS, 10)),
        SANS,
    )


def _pick(options: str, rng: random.Random, count: int = 1) -> list[str]:
    return rng.sample(options.split("|"), count)


def _values(rng: random.Random) -> dict[str, str]:
    street, street2 = _pick(STREETS, rng, 2)
    locality, locality2 = _pick(LOCALITIES, rng, 2)
    date = f"{rng.randint(1, 28)} de {_pick(MONTHS, rng)[0]} de {rng.choice((2023, 2024))}"
    return {
        "calle": street, "calle2": street2, "localidad": locality, "localidad2": locality2,
        "fecha": date, "anio": str(rng.choice((2019, 2020, 2021))),
        "folio": f"DOP/{rng.randint(100, 999)}/{rng.choice((2023, 2024))}",
        "oficio": f"CEAS/DT/{rng.randint(100, 999)}/2024", "n": str(rng.randint(120, 480)),
        "metros": f"{rng.randint(3, 18) * 50:,}", "anos": str(rng.randint(12, 30)),
        "pct": str(rng.randint(3, 12)), "horas": str(rng.choice((6, 8, 12))),
    }  # fmt: skip


def _prose(pool: Sequence[str], rng: random.Random, count: int) -> list[str]:
    """count paragraphs of two to four sentences, using every sentence before repeating one."""
    queue: list[str] = []
    paragraphs = []
    for _ in range(count):
        sentences = []
        for _ in range(rng.randint(2, 4)):
            queue = queue or rng.sample(list(pool), len(pool))
            sentences.append(queue.pop().format(**_values(rng)))
        paragraphs.append(" ".join(sentences))
    return paragraphs


def _numbered(paragraphs: Sequence[str]) -> list[str]:
    ordinals = ORDINALS.split("|")
    names = [ordinals[i] if i < len(ordinals) else f"{i + 1}o" for i in range(len(paragraphs))]
    return [f"{name}.- {text}" for name, text in zip(names, paragraphs, strict=True)]


def _person(rng: random.Random) -> str:
    return " ".join(_pick(GIVEN_NAMES, rng) + _pick(SURNAMES, rng, 2))


def _money(amount: float) -> str:
    return f"${amount:,.2f}".replace("$-", "-$")


def _lines(*specs: str) -> list[Line]:
    """Lines from a small markup: a leading ">" aligns right, "^" centres, then "*" is bold."""
    lines = []
    for spec in specs:
        align = {">": "right", "^": "center"}.get(spec[:1], "left")
        text = spec[1:] if align != "left" else spec
        bold = text.startswith("*")
        lines.append(Line(text[1:] if bold else text, align, bold))
    return lines


def _heading(text: str) -> list[Line]:
    return _lines(f"^*{text}", "")


def _signature(name: str, *lines: str, slogan: str = "") -> list[Line]:
    # Three blank lines leave room for the handwritten signature.
    head = ["^*ATENTAMENTE", f"^{slogan}"] if slogan else ["^*ATENTAMENTE"]
    return _lines(*head, "", "", "", f"^*{name}", *(f"^{text}" for text in lines), "")


def _plots_table(rng: random.Random) -> Table:
    rows = [("Clave catastral", "Poseedor", "Sup. (m²)", "Adeudo")]
    for _ in range(9):
        key = f"132-{rng.randint(1, 60):03d}-{rng.randint(1, 40):03d}"
        area = f"{rng.randint(9000, 42000) / 100:,.2f}"
        rows.append((key, _person(rng), area, _money(rng.randint(800, 14000))))
    return tuple(rows)


def _budget_table() -> Table:
    rows = [("Concepto", "Unidad", "Cantidad", "Importe")]
    rows += [(name, unit, f"{qty:,}", _money(qty * price)) for name, unit, qty, price in BUDGET]
    rows.append(("Total estimado", "", "", _money(sum(q * p for _, _, q, p in BUDGET))))
    return tuple(rows)


def _signatories(rng: random.Random, first: int, count: int) -> Table:
    # The "Firma" cells stay empty: the signatures are handwritten on the original.
    rows = [("No.", "Nombre", "Domicilio", "Firma")]
    for number in range(first, first + count):
        address = f"{_pick(STREETS, rng)[0]} {rng.randint(2, 240)}"
        rows.append((str(number), _person(rng), address, ""))
    return tuple(rows)


def _escrito_blocks(extra: int) -> list[Block]:
    rng = random.Random(1001)
    facts = _prose(CITIZEN_SENTENCES, rng, 12 + extra)
    signatories: list[Block] = []
    for first in (1, 23, 45):
        signatories += [None, *_heading("RELACIÓN DE VECINOS QUE SUSCRIBEN")]
        signatories.append(_signatories(rng, first, 22))
    return [
        *_lines(f">{PLACE}, a 14 de marzo de 2025.", ""),
        *_lines(">*ASUNTO: Se solicita la regularización de predios", ">*y la pavimentación de la "
                "calle Niños Héroes.", ""),
        *_lines(*MAYOR_ADDRESS),
        f"Los que suscriben, integrantes de la mesa directiva de la {COLONOS}, señalando como "
        "domicilio para oír y recibir notificaciones el ubicado en la calle Niños Héroes número "
        "148, colonia Lomas de San Isidro, de este municipio, y autorizando para los mismos "
        "efectos al C. Joaquín Peña Ríos, con el debido respeto comparecemos para exponer:",
        "Que con fundamento en el artículo 8o. de la Constitución Política de los Estados Unidos "
        "Mexicanos, que consagra el derecho de petición, venimos a solicitar su intervención "
        "para atender las necesidades de nuestra colonia, conforme a los siguientes:",
        *_heading("ANTECEDENTES"), *_numbered(facts[:5]),
        "Los predios que se relacionan a continuación se encuentran en posesión de sus actuales "
        "ocupantes, quienes cuentan con contratos privados de compraventa:",
        _plots_table(rng), Line(""), *_heading("HECHOS"), *_numbered(facts[5:]),
        "El cuadro siguiente resume los conceptos de obra y sus importes estimados, calculados con "
        "el catálogo de precios unitarios vigente:",
        _budget_table(), Line(""), *_heading("CONSIDERACIONES DE DERECHO"), *LAW,
        *_heading("PETICIONES"), *REQUESTS,
        _signature("JOSÉ ÁNGEL MUÑOZ CÓRDOVA", "Presidente de la Mesa Directiva de la", COLONOS,
                   slogan="Sufragio Efectivo. No Reelección."),
        _lines("c.c.p. Lic. Arturo Cárdenas Ordóñez, Secretario del H. Ayuntamiento.",
               "c.c.p. Ing. Sofía Zúñiga Peña, Directora de Obras Públicas."),
        *signatories,
    ]  # fmt: skip


def _works_table(rng: random.Random) -> Table:
    actions = "Red de agua|Pozo profundo|Tanque elevado|Colector|Drenaje"
    rows = [("Localidad", "Acción", "Habitantes", "Inversión")]
    for locality in LOCALITIES.split("|"):
        people = f"{rng.randint(8, 95) * 50:,}"
        rows.append(
            (locality, _pick(actions, rng)[0], people, _money(rng.randint(400, 5200) * 1e3))
        )
    return tuple(rows)


def _pipes_table(rng: random.Random, locality: str) -> list[Block]:
    rows = [("Tramo", "Calle", "Diámetro", "Longitud m", "Material")]
    for number in range(1, 23):
        diameter = rng.choice(("75 mm", "100 mm", "150 mm", "200 mm"))
        material = rng.choice(("PEAD", "PVC hidráulico", "Acero"))
        length = f"{rng.randint(40, 900):,}"
        rows.append((f"T-{number:02d}", _pick(STREETS, rng)[0], diameter, length, material))
    return [None, *_heading("ANEXO TÉCNICO"), *_lines(f"*Localidad: {locality}", ""), tuple(rows)]


def _oficio_blocks(extra: int) -> list[Block]:
    rng = random.Random(2002)
    body = _prose(AGENCY_SENTENCES, rng, 12 + extra)
    third = len(body) // 3
    annex = [block for name in LOCALITIES.split("|")[:5] for block in _pipes_table(rng, name)]
    return [
        *_lines("^*GOBIERNO DEL ESTADO DE PUEBLA", "^*COMISIÓN ESTATAL DEL AGUA Y SANEAMIENTO",
                "^*DIRECCIÓN GENERAL", "", f">*Oficio número: {OFICIO_NUMBER}",
                ">Asunto: Programa de obras de agua potable y saneamiento 2025.",
                ">Puebla, Pue., a 3 de marzo de 2025.", ""),
        *_lines(*MAYOR_ADDRESS),
        "Con fundamento en la Ley del Agua para el Estado de Puebla, me permito hacer de su "
        "conocimiento el programa de obras de agua potable, alcantarillado y saneamiento que esta "
        "Comisión ejecutará en su municipio durante el ejercicio fiscal 2025.",
        *body[:third], "Las obras programadas por localidad son las siguientes:",
        _works_table(rng), Line(""), *body[third : 2 * third],
        "El calendario de ejecución previsto es el siguiente:", SCHEDULE, Line(""),
        *body[2 * third :], "La estructura financiera del programa se resume a continuación:",
        FUNDING, Line(""), "Para la firma del convenio, el municipio deberá remitir:",
        _lines(*OFICIO_ENCLOSURES), "Sin otro particular, le envío un cordial saludo.",
        _signature("ING. RODRIGO BÁEZ VILLASEÑOR", "DIRECTOR GENERAL",
                   slogan="SUFRAGIO EFECTIVO. NO REELECCIÓN."),
        _lines("c.c.p. Mtra. Elena Ríos Méndez, Secretaria de Infraestructura.", "c.c.p. Archivo."),
        *annex,
    ]  # fmt: skip


def _solicitud_blocks() -> list[Block]:
    return [
        *_lines(f">{PLACE}, a 10 de marzo de 2025.", "",
                ">*ASUNTO: Solicitud de constancia de residencia.", "",
                "*LIC. ARTURO CÁRDENAS ORDÓÑEZ", "*SECRETARIO DEL H. AYUNTAMIENTO", "*PRESENTE",
                ""),
        "La que suscribe, María Fernanda Peña Ortiz, mexicana, mayor de edad, con domicilio en la "
        "calle Sor Juana Inés de la Cruz número 37, colonia Centro, de este municipio, "
        "respetuosamente solicito se me expida una constancia de residencia.",
        "La constancia es necesaria para inscribir a mi hijo en la escuela secundaria técnica "
        "número 12 y para tramitar la beca Benito Juárez. Habito en el domicilio señalado desde "
        "hace once años, lo que pueden confirmar mis vecinos y el jefe de manzana.",
        "Anexo copia de mi credencial para votar, comprobante de domicilio reciente y dos "
        "fotografías tamaño infantil. ¿Podrían indicarme, por favor, el costo del trámite y "
        "la fecha en que podré recogerla?",
        "Agradezco de antemano su atención.",
        _signature("MARÍA FERNANDA PEÑA ORTIZ", "Teléfono: 248 484 1296",
                   "Correo: mfernanda.pena@correo.mx"),
    ]  # fmt: skip


def _comprobante_blocks() -> list[Block]:
    concepts = (
        ("Impuesto predial", "2025", 1842.0),
        ("Alumbrado público", "2025", 320.0),
        ("Recolección de basura", "2025", 410.0),
        ("Descuento por pronto pago", "15%", -276.3),
    )
    rows = [("Concepto", "Periodo", "Importe")]
    rows += [(name, period, _money(amount)) for name, period, amount in concepts]
    rows.append(("Total pagado", "", _money(sum(amount for _, _, amount in concepts))))
    return [
        *_lines("^*H. AYUNTAMIENTO DE SAN MARTÍN TEXMELUCAN", "^*TESORERÍA MUNICIPAL",
                "^*RECIBO OFICIAL DE PAGO", "", ">*Folio: TM-2025-018734",
                "Fecha de pago: 10 de febrero de 2025, 11:42 h",
                "Contribuyente: Rubén Darío Núñez Álvarez", "Clave catastral: 132-045-007",
                "Ubicación: Calle Cuauhtémoc 215, colonia Santa Cruz Moxolahuac", ""),
        tuple(rows), Line(""),
        "Importe con letra: DOS MIL DOSCIENTOS NOVENTA Y CINCO PESOS 70/100 M.N.",
        *_lines("Forma de pago: efectivo. Caja 2, cajera Lucía Ordóñez.",
                "Este recibo no es válido si presenta tachaduras o enmendaduras.", "",
                "^*¡Gracias por cumplir con sus contribuciones!"),
    ]  # fmt: skip


def _anexos_blocks() -> list[Block]:
    rng = random.Random(3003)
    receipts = [("No.", "Contribuyente", "Recibo", "Importe")]
    receipts += [(str(i), _person(rng), f"TM-2025-{rng.randint(10000, 30000):06d}",
                  _money(rng.randint(600, 4200))) for i in range(1, 16)]  # fmt: skip
    photos = _prose(CITIZEN_SENTENCES, rng, 4)
    return [
        *_heading("ANEXO 1"), *_heading("RELACIÓN DE RECIBOS DEL IMPUESTO PREDIAL 2025"),
        "Recibos de pago de los vecinos que respaldan la solicitud, cuyas copias se acompañan:",
        tuple(receipts), None, *_heading("ANEXO 2"), *_heading("EXTRACTO DEL ACTA DE ASAMBLEA"),
        "En San Martín Texmelucan, Puebla, siendo las dieciocho horas del día 2 de febrero de "
        f"2025, se celebró la asamblea general ordinaria de la {COLONOS}",
        *_prose(CITIZEN_SENTENCES, rng, 3),
        "No habiendo otro asunto que tratar, se cerró la sesión a las veinte horas con quince "
        "minutos, firmando al calce quienes en ella intervinieron.",
        None, *_heading("ANEXO 3"), *_heading("DESCRIPCIÓN DEL REPORTE FOTOGRÁFICO"),
        *(f"Fotografía {number}. {text}" for number, text in enumerate(photos, start=1)),
    ]  # fmt: skip
