"""Sealed acuse speed against the per-call command line: ``.venv/bin/python bench/signing.py``.

In one run, with SAT's test e.firma (``../shared/fixtures/sat``, clock frozen inside its validity):

(a) ours, in process: :func:`mailroom.receipt.build_acuse` then :class:`signing.sign.PdfSigner`
    (built once, key held for the shift), one acuse per document; median and p95 ms per document,
    split into generation and sealing;
(b) the baseline: the ``pyhanko`` command line (``pyhanko sign addsig ... pemder``) signing the
    same unsigned acuse once per call, with a visible field in the same box; median ms per call;
(c) for information, what going online costs: the same acuses sealed PAdES B-LT (signature
    timestamp + DSS with the OCSP answer) against the SAT-shaped test PKI served on 127.0.0.1
    (``tests/sat_pki.py``), with the OCSP answer cached for the shift as the counter does.

The command line is the ``pyhanko-cli`` package (pyHanko 0.38 no longer ships it). It is looked up
in ``.venv/bin``, then on ``PATH``; ``--pyhanko-path DIR`` adds a directory holding it as a
``pip install --target`` tree. It runs under a launcher that applies the asn1crypto workaround
for SAT's 2.5.4.45 first (asn1crypto issue 228), as every process that parses SAT certificates
must; the launcher costs one import, a rounding error next to the process start-up it measures.

Prints PASS/FAIL per target (sealed acuse <= 150 ms median; >= 8x faster than the command line).
The exit status is always 0: this is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from test_receipt import known_filing  # noqa: E402

from mailroom.config import Settings, load_settings  # noqa: E402
from mailroom.receipt import STAMP_BOX, build_acuse  # noqa: E402
from signing import Credentials, load_credentials  # noqa: E402
from signing.sign import PdfSigner  # noqa: E402

SAT = ROOT.parent / "shared" / "fixtures" / "sat"
FIEL = SAT / "FIEL_AAA010101AAA"
# Inside the test e.firma's validity (2017-05-16 .. 2021-05-15).
SIGNED_AT = datetime(2020, 12, 1, 16, 30, tzinfo=UTC)
TARGET_MEDIAN_MS = 150.0
TARGET_SPEEDUP = 8.0
LAUNCHER = (
    "import signing.asn1_workaround as w; w.apply(); "
    "import sys; from pyhanko.__main__ import launch; sys.argv[0] = 'pyhanko'; sys.exit(launch())"
)


@dataclass(frozen=True)
class Timings:
    generation_ms: list[float]
    sealing_ms: list[float]

    @property
    def total_ms(self) -> list[float]:
        return [g + s for g, s in zip(self.generation_ms, self.sealing_ms, strict=True)]


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile: the value at or below which ``fraction`` of the samples lie."""
    ordered = sorted(values)
    rank = max(1, round(fraction * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def open_efirma() -> Credentials:
    password = (FIEL / "password.txt").read_text().strip()
    return load_credentials(
        FIEL / "certificate.cer", FIEL / "private_key.key", password, now=SIGNED_AT
    )


def time_in_process(signer: PdfSigner, settings: Settings, documents: int) -> Timings:
    signer.sign(build_acuse(known_filing(), settings, sealed=True).pdf)  # warm-up: fonts, imports
    generation, sealing = [], []
    for number in range(1, documents + 1):
        filing = known_filing(folio=f"OPM-2026-C01-{number:06d}")
        started = time.perf_counter()
        acuse = build_acuse(filing, settings, sealed=True)
        generated = time.perf_counter()
        signer.sign(acuse.pdf)
        sealed = time.perf_counter()
        generation.append((generated - started) * 1000)
        sealing.append((sealed - generated) * 1000)
    return Timings(generation, sealing)


def time_online(documents: int) -> Timings:
    from sat_pki import running_sat_pki

    from signing.longterm import make_timestamper
    from signing.revocation import MemoryOcspCache, RevocationChecker

    with (
        tempfile.TemporaryDirectory(prefix="bench-pki-") as folder,
        running_sat_pki(Path(folder)) as pki,
    ):
        credentials = load_credentials(pki.cer("fisica"), pki.key("fisica"), pki.password)
        signer = PdfSigner(
            credentials,
            chain=[pki.ac_der, pki.root_der],
            timestamper=make_timestamper(pki.tsa_url, 5),
            revocation=RevocationChecker(pki.ocsp_url, timeout=5, cache=MemoryOcspCache()),
        )
        settings = load_settings(Path(folder) / "datos", clerk="ventanilla1")
        timings = time_in_process(signer, settings, documents)
        level = signer.sign_document(build_acuse(known_filing(), settings).pdf).level
        if level != "B-LT":
            raise RuntimeError(f"expected B-LT against the test PKI, got {level}")
        return timings


def write_pemder(credentials: Credentials, folder: Path) -> tuple[Path, Path, Path]:
    """The e.firma as files the command line reads: PEM certificate, PEM-encrypted PKCS#8 key,
    passphrase file. SAT's DER .key uses DES-EDE3 PBES2, which pyHanko's loader may not take."""
    password = (FIEL / "password.txt").read_text().strip()
    private_key = serialization.load_der_private_key(
        (FIEL / "private_key.key").read_bytes(), password.encode()
    )
    key = folder / "clave.pem"
    key.write_bytes(
        private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(password.encode()),
        )
    )
    cert = folder / "certificado.pem"
    certificate = x509.load_der_x509_certificate(credentials.certificate_der)
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    passfile = folder / "clave.txt"
    passfile.write_text(password)
    return key, cert, passfile


def find_cli(extra_path: Path | None) -> tuple[list[str], dict[str, str]] | None:
    """How to run the ``pyhanko`` command line under the launcher, or ``None`` if absent."""
    environment = dict(os.environ)
    search = [p for p in (extra_path, Path(sys.executable).parent) if p is not None]
    paths = [str(ROOT)] + [str(p) for p in search if (p / "pyhanko" / "cli").is_dir()]
    installed = (Path(sys.executable).parent / "pyhanko").exists() or shutil.which("pyhanko")
    if len(paths) == 1 and not installed:
        return None
    environment["PYTHONPATH"] = os.pathsep.join(paths + [environment.get("PYTHONPATH", "")])
    return [sys.executable, "-c", LAUNCHER], environment


def time_cli(
    command: list[str], environment: dict[str, str], unsigned: bytes, pages: int, calls: int
) -> list[float]:
    with tempfile.TemporaryDirectory(prefix="bench-firma-") as temporary:
        folder = Path(temporary)
        key, cert, passfile = write_pemder(open_efirma(), folder)
        source = folder / "acuse.pdf"
        source.write_bytes(unsigned)
        x1, y1, x2, y2 = (round(v) for v in STAMP_BOX)
        field = f"{pages}/{x1},{y1},{x2},{y2}/SelloOficialia"
        timings = []
        for number in range(calls + 1):  # the first call warms the page cache; not counted
            output = folder / f"firmado-{number}.pdf"
            arguments = ["sign", "addsig", "--field", field, "pemder", "--key", str(key)]
            arguments += [
                "--cert",
                str(cert),
                "--passfile",
                str(passfile),
                str(source),
                str(output),
            ]
            started = time.perf_counter()
            result = subprocess.run(
                command + arguments, env=environment, capture_output=True, text=True, check=False
            )
            elapsed = (time.perf_counter() - started) * 1000
            if result.returncode != 0 or not output.exists():
                raise RuntimeError(f"pyhanko failed ({result.returncode}): {result.stderr[-800:]}")
            if number:
                timings.append(elapsed)
        return timings


def verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=30, help="acuses generated and sealed")
    parser.add_argument("--cli-calls", type=int, default=10, help="pyhanko command-line calls")
    parser.add_argument("--pyhanko-path", type=Path, help="a pip --target tree with pyhanko-cli")
    options = parser.parse_args(argv)
    if not SAT.is_dir():
        print("../shared/fixtures/sat no está presente: nothing to measure")
        return 0

    with tempfile.TemporaryDirectory(prefix="bench-datos-") as data:
        settings = load_settings(Path(data) / "datos", clerk="ventanilla1")
        signer = PdfSigner(open_efirma(), clock=lambda: SIGNED_AT)
        ours = time_in_process(signer, settings, options.documents)
        unsigned = build_acuse(known_filing(), settings, sealed=True).pdf

    median = statistics.median(ours.total_ms)
    print(f"(a) in process, {options.documents} acuses (generate + seal), ms per document:")
    for label, values in (
        ("total", ours.total_ms),
        ("generation", ours.generation_ms),
        ("sealing", ours.sealing_ms),
    ):
        print(
            f"    {label:<11} median {statistics.median(values):7.1f}"
            f"   p95 {percentile(values, 0.95):7.1f}"
        )

    cli = find_cli(options.pyhanko_path)
    baseline = None
    if cli is None:
        print("(b) pyhanko command line: not installed (pip install pyhanko-cli); skipped")
    else:
        from pypdfium2 import PdfDocument

        pages = len(PdfDocument(unsigned))
        calls = time_cli(*cli, unsigned, pages, options.cli_calls)
        baseline = statistics.median(calls)
        print(f"(b) pyhanko command line, {len(calls)} calls signing the same acuse:")
        print(f"    median {baseline:7.1f} ms   p95 {percentile(calls, 0.95):7.1f} ms")

    online = time_online(options.documents)
    print(f"(c) in process, B-LT against the loopback test PKI, {options.documents} acuses:")
    for label, values in (("total", online.total_ms), ("sealing", online.sealing_ms)):
        print(
            f"    {label:<11} median {statistics.median(values):7.1f}"
            f"   p95 {percentile(values, 0.95):7.1f}"
        )

    print("targets:")
    print(
        f"    sealed acuse median <= {TARGET_MEDIAN_MS:.0f} ms: {median:.1f} ms"
        f"  {verdict(median <= TARGET_MEDIAN_MS)}"
    )
    if baseline is None:
        print(f"    >= {TARGET_SPEEDUP:.0f}x faster than the command line: not measured  FAIL")
    else:
        speedup = baseline / median
        print(
            f"    >= {TARGET_SPEEDUP:.0f}x faster than the command line: {speedup:.1f}x"
            f"  {verdict(speedup >= TARGET_SPEEDUP)}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
