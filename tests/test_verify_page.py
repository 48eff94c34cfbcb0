"""The public verification page in a real browser: a real acuse, registered at a counter and synced
to the real backend (uvicorn on 127.0.0.1), opened from its QR in headless Chromium at a phone's
size. A second server over the same database plays a second worker, so the rate limit is shown
to hold across workers (its counters are rows, not memory).
"""

from __future__ import annotations

import os
import shutil
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image

from mailroom.acuses import AcuseService
from mailroom.config import Settings, load_settings
from mailroom.intake import IntakeService
from mailroom.models import Filing, NewFiling, Sender
from mailroom.receipt.acuse import verification_url
from mailroom.samples import render_page_image
from mailroom.store import Store
from sync.server.backend import Backend, BackendConfig
from sync.server.local_services import PostgresCluster
from sync.server.serve import ThreadedServer
from sync.server.verification import (
    VerifyPageConfig,
    client_key,
    count_hit,
    folio_lookup_sql,
)
from sync.worker import SyncWorker
from tests.backend_server import BackendServer, running_backend
from tests.test_receipt import qr_modules_on_page
from tests.test_sync_integration import enrol

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
PHONE = (390, 844)
LIMIT = 6  # lookups per client per window in these tests
SENDER = Sender("Ana Ruiz Zamora", curp="RUZA800101MDFZMN07", rfc="RUZA800101AB9")
SUBJECT = "Licencia de construcción para barda perimetral"
MONTHS = "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre"
NEUTRAL = "No encontramos ese acuse"


@dataclass(frozen=True)
class Scenario:
    backend: BackendServer
    second_worker_url: str  # another server over the same database, trusting X-Forwarded-For
    settings: Settings
    filing: Filing
    digest: str
    institutional_folio: str
    qr_url: str


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    with synced_acuse(tmp_path_factory.mktemp("verificar")) as ready:
        yield ready


@pytest.fixture(scope="module")
def postgres_scenario(
    tmp_path_factory: pytest.TempPathFactory, postgres_cluster: PostgresCluster
) -> Iterator[Scenario]:
    """The same, with the backend's database in the session's PostgreSQL cluster."""
    name = f"verificar_{os.urandom(3).hex()}"
    url = postgres_cluster.create_database(name)
    try:
        with synced_acuse(tmp_path_factory.mktemp("verificar-pg"), database_url=url) as ready:
            yield ready
    finally:
        postgres_cluster.drop_database(name)


@contextmanager
def synced_acuse(root: Path, *, database_url: str | None = None) -> Iterator[Scenario]:
    """A backend and a second worker over its database; an acuse registered and synced."""
    with pytest.MonkeyPatch.context() as env:
        for key in list(os.environ):
            if key.startswith("OFICIALIA_"):
                env.delenv(key)
        for name in ("XDG_CONFIG_HOME", "XDG_CONFIG_DIRS", "XDG_DATA_HOME"):
            env.setenv(name, str(root / name.lower()))
        env.setenv("OFICIALIA_OCSP_URL", "")
        env.setenv("OFICIALIA_VERIFY_LIMIT", str(LIMIT))  # read when each app is built
        with running_backend(root / "servidor", database_url=database_url) as backend:
            env.setenv("OFICIALIA_VERIFY_CLIENT_HEADER", "X-Forwarded-For")
            worker = Backend(BackendConfig(data_dir=root / "servidor", database_url=database_url))
            second = ThreadedServer(worker)
            port = second.start()
            try:
                yield _registered_and_synced(root, backend, f"http://127.0.0.1:{port}")
            finally:
                second.stop()
                worker.close()


def _registered_and_synced(root: Path, backend: BackendServer, second_url: str) -> Scenario:
    settings = load_settings(
        root / "datos", clerk="ventanilla1", acuse_verification_url=f"{backend.url}/acuse"
    )
    with Store(settings.data_dir) as store:
        enrol(store, settings, backend)
        scan = root / "escaneo.jpg"
        render_page_image([SUBJECT], dpi=100).save(scan, "JPEG", dpi=(100, 100), quality=80)
        filing = IntakeService(store, settings).register(NewFiling(SENDER, SUBJECT), [scan]).filing
        summary = SyncWorker(store, settings).run_once()
        assert len(summary.synced) == 1, summary
        acuse = AcuseService(store, settings).current(filing.folio)
        institutional = (
            store.reader()
            .execute("SELECT institutional_folio FROM filings WHERE uuid = ?", [str(filing.id)])
            .fetchone()[0]
        )
    backend.mark(str(filing.id), "turnada", "A Desarrollo Urbano")
    url = verification_url(settings.acuse_verification_url, filing.folio, acuse.cadena_digest)
    # What the printed QR carries (no QR decoder here: its modules against segno's for ``url``).
    seen, expected = qr_modules_on_page(acuse.pdf, url)
    assert seen == expected
    return Scenario(backend, second_url, settings, filing, acuse.cadena_digest, institutional, url)


@pytest.fixture(scope="session")
def phone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Headless Chromium emulating a 390×844 phone, shared by every test of the session."""
    if not (os.access(CHROMIUM, os.X_OK) and shutil.which(CHROMEDRIVER)):
        missing = "falta Chromium (installer/system-packages.sh: chromium chromium-driver)"
        if os.environ.get("CI"):
            pytest.fail(f"{missing}; CI los instala: make setup")
        pytest.skip(missing)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    folder = tmp_path_factory.mktemp("chromium")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        f"--user-data-dir={folder / 'perfil'}",
    ):
        options.add_argument(argument)
    options.add_experimental_option(
        "mobileEmulation",
        {"deviceMetrics": {"width": PHONE[0], "height": PHONE[1], "pixelRatio": 1.0}},
    )
    service = Service(
        CHROMEDRIVER,
        log_output=str(folder / "chromedriver.log"),
        env={**os.environ, "TMPDIR": str(folder)},
    )
    driver = webdriver.Chrome(options=options, service=service)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def fresh_limit(scenario: Scenario) -> None:
    """Each test starts with the page's counters empty (they are rows in the backend's database)."""
    with scenario.backend.backend.connect() as connection:
        connection.write(lambda tx: tx.execute("DELETE FROM verification_hits"))


def main_text(driver: Any) -> str:
    from selenium.webdriver.common.by import By

    return str(driver.find_element(By.TAG_NAME, "main").text)


def test_the_qr_of_a_real_acuse_shows_its_office_time_status_and_institutional_folio(
    scenario: Scenario, phone: Any, fresh_limit: None, tmp_path: Path
) -> None:
    phone.get(scenario.qr_url)

    text = main_text(phone)
    received = scenario.filing.received_at
    assert "Acuse válido" in text
    assert scenario.filing.folio in text
    assert (
        f"{received.day} de {MONTHS.split()[received.month - 1]} de {received.year}, "
        f"{received:%H:%M} (UTC-06:00)" in text
    )
    assert "Oficialía de Partes Municipal (Palacio Municipal), clave OPM" in text
    assert scenario.institutional_folio.startswith("OPM/") and scenario.institutional_folio in text
    assert "Turnado al área que lo atiende" in text
    html = phone.page_source
    for personal in (SENDER.name, "Ruiz", SENDER.curp, SENDER.rfc, SUBJECT, "barda", "escaneo"):
        assert personal is not None and personal not in html
    assert phone.get_cookies() == []
    _assert_fits_a_phone(phone, tmp_path / "verificado.png")


def _assert_fits_a_phone(driver: Any, screenshot: Path) -> None:
    widths = driver.execute_script(
        "return [document.documentElement.scrollWidth, window.innerWidth,"
        " parseFloat(getComputedStyle(document.body).fontSize),"
        " getComputedStyle(document.querySelector('main')).maxWidth]"
    )
    scroll_width, viewport_width, font_px, main_max_width = widths
    assert viewport_width == PHONE[0]  # the viewport meta took effect on the emulated phone
    assert scroll_width <= viewport_width, "algo se sale de la pantalla a lo ancho"
    assert font_px >= 16  # readable without zooming
    assert main_max_width == "576px"  # the inline style ran: the CSP allows it by its hash
    png = driver.get_screenshot_as_png()
    screenshot.write_bytes(png)
    assert Image.open(BytesIO(png)).width == PHONE[0]


def test_a_wrong_code_and_an_unknown_folio_get_the_same_neutral_answer(
    scenario: Scenario, phone: Any, fresh_limit: None, tmp_path: Path
) -> None:
    wrong = verification_url(
        scenario.settings.acuse_verification_url,
        scenario.filing.folio,
        ("0" if scenario.digest[0] != "0" else "1") + scenario.digest[1:],
    )
    unknown_folio = scenario.filing.folio[:-1] + ("9" if scenario.filing.folio[-1] != "9" else "8")
    unknown = verification_url(
        scenario.settings.acuse_verification_url, unknown_folio, scenario.digest
    )

    phone.get(wrong)
    wrong_text = main_text(phone)
    _assert_fits_a_phone(phone, tmp_path / "no-encontrado.png")
    phone.get(unknown)
    unknown_text = main_text(phone)

    assert NEUTRAL in wrong_text and wrong_text == unknown_text
    assert "Acuse válido" not in wrong_text and scenario.institutional_folio not in wrong_text
    answers = [requests.get(url, timeout=10) for url in (wrong, unknown)]
    assert [a.status_code for a in answers] == [200, 200]
    bodies = [
        answers[0].text.replace(scenario.filing.folio, "FOLIO"),
        answers[1].text.replace(unknown_folio, "FOLIO"),
    ]
    assert bodies[0] == bodies[1]


def test_the_folio_and_code_typed_by_hand_are_enough(
    scenario: Scenario, phone: Any, fresh_limit: None
) -> None:
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    phone.get(f"{scenario.backend.url}/acuse")
    assert "Escriba los datos de su acuse" in main_text(phone)
    phone.find_element(By.ID, "folio").send_keys(scenario.filing.folio)
    # The first 16 characters, in capitals and with a space, as someone copies them from paper.
    typed = scenario.digest[:8].upper() + " " + scenario.digest[8:16]
    phone.find_element(By.ID, "digest").send_keys(typed)
    phone.find_element(By.TAG_NAME, "button").click()
    # The click returns before the answer loads: wait for it, through the moments when the old
    # page's nodes are gone and the new one's are not there yet.
    WebDriverWait(phone, 10, ignored_exceptions=(WebDriverException,)).until(
        lambda driver: "digest=" in driver.current_url and "Acuse válido" in main_text(driver)
    )

    text = main_text(phone)
    assert "Acuse válido" in text and scenario.institutional_folio in text


def test_the_rate_limit_holds_across_workers_and_says_when_to_come_back(
    scenario: Scenario, phone: Any, fresh_limit: None
) -> None:
    servers = (scenario.backend.url, scenario.second_worker_url)
    for attempt in range(LIMIT):
        # Alternating workers: the browser is one client (127.0.0.1) for both.
        url = scenario.qr_url.replace(scenario.backend.url, servers[attempt % 2])
        phone.get(url)
        assert "Acuse válido" in main_text(phone), attempt

    phone.get(scenario.qr_url)
    text = main_text(phone)
    assert "Demasiadas consultas" in text and "Vuelva a intentar en" in text
    assert scenario.institutional_folio not in text
    refused = requests.get(scenario.qr_url, timeout=10)
    # Sliding window: at most the rest of this window and most of the next.
    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 1200
    # Another client, as the reverse proxy in front reports it, still gets its answer.
    other = requests.get(
        scenario.qr_url.replace(scenario.backend.url, scenario.second_worker_url),
        headers={"X-Forwarded-For": "203.0.113.7"},
        timeout=10,
    )
    assert other.status_code == 200 and "Acuse válido" in other.text


def test_the_page_sets_no_cookie_and_a_strict_policy_and_refuses_bad_input_in_spanish(
    scenario: Scenario, fresh_limit: None
) -> None:
    answer = requests.get(scenario.qr_url, timeout=10)
    assert answer.status_code == 200 and "set-cookie" not in answer.headers
    policy = answer.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "unsafe-inline" not in policy
    assert "<script" not in answer.text and "http" not in answer.text.split("<body>")[1]
    assert answer.headers["cache-control"] == "no-store"

    bad = requests.get(
        f"{scenario.backend.url}/acuse", params={"folio": "X", "digest": "zz"}, timeout=10
    )
    assert bad.status_code == 400 and "de 16 a 64 caracteres" in bad.text
    form = requests.get(f"{scenario.backend.url}/acuse", timeout=10)
    assert form.status_code == 200 and 'name="digest"' in form.text


def test_unknown_and_mismatched_lookups_take_about_the_same_time(scenario: Scenario) -> None:
    # Through the proxy-trusting worker, as a client of its own, so the limit does not bite.
    def median_seconds(folio: str, client: str) -> float:
        times = []
        for _ in range(5):
            started = time.perf_counter()
            requests.get(
                f"{scenario.second_worker_url}/acuse",
                params={"folio": folio, "digest": "ab" * 32},
                headers={"X-Forwarded-For": client},
                timeout=10,
            )
            times.append(time.perf_counter() - started)
        return statistics.median(times)

    known = median_seconds(scenario.filing.folio, "198.51.100.1")
    unknown = median_seconds("NO-EXISTE-1", "198.51.100.2")
    assert abs(known - unknown) < 0.05, (known, unknown)


def test_the_client_is_the_peer_unless_a_proxy_header_is_trusted() -> None:
    plain = VerifyPageConfig()
    proxied = VerifyPageConfig(client_header="x-forwarded-for")
    forwarded = {"x-forwarded-for": "10.9.9.9, 203.0.113.7"}
    assert client_key("192.0.2.1", forwarded, plain) == "192.0.2.1"
    assert client_key("192.0.2.1", forwarded, proxied) == "203.0.113.7"
    assert client_key("192.0.2.1", {}, proxied) == "192.0.2.1"
    assert client_key("2001:db8:1:2:aaaa::1", {}, plain) == "2001:db8:1:2::/64"
    assert client_key("2001:db8:1:2:bbbb::9", {}, plain) == "2001:db8:1:2::/64"
    assert VerifyPageConfig.from_environment({"OFICIALIA_VERIFY_LIMIT": "5"}).limit == 5
    with pytest.raises(ValueError, match="OFICIALIA_VERIFY_LIMIT debe ser un número entero"):
        VerifyPageConfig.from_environment({"OFICIALIA_VERIFY_LIMIT": "cero"})


def test_the_folio_lookup_is_a_seek_on_the_migrations_index(scenario: Scenario) -> None:
    with scenario.backend.backend.connect() as connection:
        plan = connection.execute(
            "EXPLAIN QUERY PLAN " + folio_lookup_sql(connection.dialect), ("OPM-1",)
        ).fetchall()
    assert "USING INDEX filings_by_device_folio" in " ".join(str(row[3]) for row in plan)


def test_on_postgresql_the_same_answers_and_one_limit_across_workers(
    postgres_scenario: Scenario,
) -> None:
    ready = postgres_scenario
    servers = (ready.backend.url, ready.second_worker_url)

    def on(worker: int, url: str) -> requests.Response:
        return requests.get(url.replace(ready.backend.url, servers[worker]), timeout=10)

    right = on(0, ready.qr_url)
    assert right.status_code == 200 and "Acuse válido" in right.text
    assert ready.institutional_folio in right.text and SENDER.name not in right.text
    wrong = on(1, ready.qr_url.replace(f"digest={ready.digest}", "digest=" + "ab" * 32))
    unknown = on(0, ready.qr_url.replace(ready.filing.folio, "OPM-2026-C01-999999"))
    assert NEUTRAL in wrong.text and wrong.status_code == unknown.status_code == 200
    assert wrong.text.replace(ready.filing.folio, "F") == unknown.text.replace(
        "OPM-2026-C01-999999", "F"
    )
    for attempt in range(LIMIT - 3):
        assert on(attempt % 2, ready.qr_url).status_code == 200
    refused = on(1, ready.qr_url)
    assert refused.status_code == 429 and "Demasiadas consultas" in refused.text
    with ready.backend.backend.connect() as connection:
        connection.execute("SET enable_seqscan = off")  # a tiny table: ask for the index plan
        plan = connection.execute("EXPLAIN " + folio_lookup_sql("postgresql"), ("x",)).fetchall()
    assert "filings_by_device_folio" in " ".join(str(row[0]) for row in plan)


def test_a_burst_at_a_windows_end_and_another_at_the_next_start_stay_under_the_limit(
    tmp_path: Path,
) -> None:
    """Fixed windows would let 2 × limit through around a boundary; the sliding estimate lets
    the second burst in only as the first one's weight falls, and says when to come back."""
    config = VerifyPageConfig(limit=10, window_seconds=600)
    backend = Backend(BackendConfig(data_dir=tmp_path / "servidor"))
    start = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)  # a window boundary (600 s divides it)

    def burst(at: datetime, count: int) -> list[bool]:
        with backend.connect() as connection:
            return [count_hit(connection, "198.51.100.4", at, config).allowed for _ in range(count)]

    try:
        assert burst(start + timedelta(seconds=590), 10) == [True] * 10
        just_after = burst(start + timedelta(seconds=610), 10)
        assert just_after == [False] * 10  # the first burst still weighs 10 × 590/600
        with backend.connect() as connection:
            refused = count_hit(connection, "198.51.100.4", start + timedelta(seconds=610), config)
        assert not refused.allowed and 600 < refused.retry_after_seconds <= 1200
        # Another client is not touched; the first is let in again when it was told to come back.
        with backend.connect() as connection:
            other = count_hit(connection, "203.0.113.9", start + timedelta(seconds=611), config)
        assert other.allowed
        later = start + timedelta(seconds=610 + refused.retry_after_seconds)
        assert burst(later, 1) == [True]
    finally:
        backend.close()
