"""The demo profile's PKI: a DEMO root, an intermediate and an office e.firma, made on first run.

The demo runs on users' machines, where certomancer (a development extra) is not installed, so
everything here is built with ``cryptography`` alone, into the demo data folder; nothing secret is
committed. The e.firma is shaped like SAT's so that the real loading and sealing code accepts it
unchanged (``signing.credentials.load_credentials(..., purpose="acuse")``):

* a persona moral: the RFC pair in 2.5.4.45 (``RFC / RFC-representante``, PrintableString as SAT
  writes it), the representative's CURP in 2.5.4.5 (`` / CURP``), no OU (an OU would make it a
  CSD), a 20-digit certificate number as the serial's ASCII digits, no AIA and no CRL pointer;
* the ``.key`` as SAT delivers it: PKCS#8 EncryptedPrivateKeyInfo DER, PBES2 with PBKDF2-SHA1
  and DES-EDE3-CBC (what ``openssl pkcs8 -v2 des3 -v2prf hmacWithSHA1`` writes). ``cryptography``
  reads that format but cannot write it, so it is assembled here with asn1crypto.

Every subject says DEMO / PRUEBAS. The root is trusted only where ``trust_test_roots`` points at
:attr:`DemoPki.trust_dir` (the demo profile's ``config.toml``), never in an office's own profile.

Revocation: SAT's OCSP knows nothing of this PKI, so :class:`DemoOcspResponder` answers for the
demo authority on 127.0.0.1 (signed by the authority itself, which ``signing.ocsp_answer``
accepts): the demo's unlock and seals get a real, verified "vigente" answer, offline.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from asn1crypto import core as asn1_core
from asn1crypto import keys as asn1_keys
from cryptography import x509
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers import Cipher, modes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.hazmat.primitives.padding import PKCS7
from cryptography.x509 import ocsp
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from mailroom.filelock import try_lock
from mailroom.fsutil import fsync_dir
from signing.certificate import parse_certificate
from signing.credentials import load_credentials
from signing.errors import SigningError
from signing.identity import CertificateIdentity

ROOT_NAME = "DEMO Autoridad Certificadora de Pruebas — Oficialía"
INTERMEDIATE_NAME = "DEMO A.C. de Pruebas — Oficialía (e.firma de demostración)"
DEMO_ORGANIZATION = "DEMOSTRACIÓN — PRUEBAS, SIN VALIDEZ OFICIAL"
OFFICE_NAME = "MUNICIPIO DE DEMOSTRACIÓN (DEMO, PRUEBAS)"
# Valid shapes and check digits (mailroom.identifiers accepts them); nobody holds them.
OFFICE_RFC = "DEM010101AAA"
REPRESENTATIVE_RFC = "PUDE800101AA8"
REPRESENTATIVE_CURP = "PUDE800101HDFRMM04"
CERTIFICATE_NUMBER = "99990000000000000001"

ROOT_FILE, INTERMEDIATE_FILE = "raiz-demo.cer", "ac-demo.cer"
OFFICE_CER, OFFICE_KEY, PASSWORD_FILE = "oficina-demo.cer", "oficina-demo.key", "contrasena.txt"
AUTHORITY_KEY = "ac-demo.llave.pem"  # the intermediate's key: it signs the demo OCSP answers
TRUST_FOLDER = "confianza"
LOCK_FILE = ".generando.lock"

OFFICE_LIFETIME = timedelta(days=2 * 365)
AUTHORITY_LIFETIME = timedelta(days=10 * 365)
RENEW_BEFORE = timedelta(days=30)  # regenerate a little before anything expires
PBKDF2_ITERATIONS = 2048  # what openssl (and SAT's keys) use
_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # nothing a clerk could misread
_LOCK_WAIT_SECONDS = 60.0


class DemoPkiError(SigningError):
    code = "pki_de_demostracion"


@dataclass(frozen=True)
class DemoPki:
    """The demo e.firma and its authorities, as files under :attr:`folder`."""

    folder: Path
    identity: CertificateIdentity
    password: str = field(repr=False)  # a demo's, not a secret; still kept out of logs
    created: bool = False  # made by this call (False: reused from an earlier run)

    @property
    def root_cer(self) -> Path:
        return self.folder / ROOT_FILE

    @property
    def intermediate_cer(self) -> Path:
        return self.folder / INTERMEDIATE_FILE

    @property
    def trust_dir(self) -> Path:
        """Root and intermediate: what ``trust_test_roots`` points at in the demo profile."""
        return self.folder / TRUST_FOLDER

    @property
    def office_cer(self) -> Path:
        return self.folder / OFFICE_CER

    @property
    def office_key(self) -> Path:
        return self.folder / OFFICE_KEY

    @property
    def password_file(self) -> Path:
        return self.folder / PASSWORD_FILE

    @property
    def authority_key(self) -> Path:
        return self.folder / AUTHORITY_KEY


def create_demo_pki(folder: Path, *, now: datetime | None = None) -> DemoPki:
    """The demo PKI in ``folder``: reused when complete and valid for a while yet, else made anew
    (also when expired or damaged). Safe against two processes starting at once."""
    moment = now or datetime.now(UTC)
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / LOCK_FILE).open("a+b") as lock:
            _wait_for(lock, folder)
            existing = _reusable(folder, moment)
            if existing is not None:
                return existing
            _generate(folder, moment)
            fsync_dir(folder)
    except OSError as error:
        raise DemoPkiError(
            f"No se pudo crear la e.firma de demostración en {folder} ({error.strerror}). "
            "Revise que la carpeta de datos de la demostración se pueda escribir.",
            path=folder,
        ) from error
    created = _reusable(folder, moment)
    if created is None:  # pragma: no cover - what was just written did not load back
        raise DemoPkiError(f"La e.firma de demostración de {folder} no se pudo comprobar.")
    return DemoPki(created.folder, created.identity, created.password, created=True)


def _wait_for(lock: object, folder: Path) -> None:
    deadline = time.monotonic() + _LOCK_WAIT_SECONDS
    while not try_lock(lock):  # type: ignore[arg-type]
        if time.monotonic() > deadline:
            raise DemoPkiError(
                f"Otro proceso lleva más de un minuto creando la e.firma de demostración en "
                f"{folder}; ciérrelo o borre esa carpeta y vuelva a intentarlo.",
                path=folder,
            )
        time.sleep(0.05)


def _reusable(folder: Path, now: datetime) -> DemoPki | None:
    """The PKI already in ``folder`` if every piece is there, fits together and stays valid past
    ``now + RENEW_BEFORE``; ``None`` otherwise."""
    try:
        password = (folder / PASSWORD_FILE).read_text(encoding="utf-8").strip()
        root_der = (folder / ROOT_FILE).read_bytes()
        intermediate_der = (folder / INTERMEDIATE_FILE).read_bytes()
        credentials = load_credentials(
            folder / OFFICE_CER,
            folder / OFFICE_KEY,
            password,
            purpose="acuse",
            now=now + RENEW_BEFORE,
            trusted_issuers=[intermediate_der],
        )
        authority_key = serialization.load_pem_private_key(
            (folder / AUTHORITY_KEY).read_bytes(), None
        )
        root = parse_certificate(root_der)
        intermediate = parse_certificate(intermediate_der)
        trusted = {p.name: p.read_bytes() for p in (folder / TRUST_FOLDER).iterdir()}
    except (OSError, ValueError, TypeError, SigningError):
        return None
    fits = (
        root.is_signed_by(root)
        and intermediate.is_signed_by(root)
        and _public_der(authority_key.public_key()) == _public_der(intermediate.public_key())
        and trusted == {ROOT_FILE: root_der, INTERMEDIATE_FILE: intermediate_der}
        and min(root.not_after, intermediate.not_after) > now + RENEW_BEFORE
    )
    if not fits:
        return None
    return DemoPki(folder, credentials.identity, password)


def _generate(folder: Path, now: datetime) -> None:
    root_key, intermediate_key, office_key = (_rsa_key() for _ in range(3))
    start = now - timedelta(days=1)  # a clock a little behind still accepts them
    root = _authority(ROOT_NAME, root_key, root_key, None, start, AUTHORITY_LIFETIME)
    intermediate = _authority(
        INTERMEDIATE_NAME, intermediate_key, root_key, root, start, AUTHORITY_LIFETIME
    )
    office = _office_certificate(office_key, intermediate, intermediate_key, start)
    password = "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(10))

    der = serialization.Encoding.DER
    (folder / TRUST_FOLDER).mkdir(exist_ok=True)
    for target in (folder, folder / TRUST_FOLDER):
        _write(target / ROOT_FILE, root.public_bytes(der))
        _write(target / INTERMEDIATE_FILE, intermediate.public_bytes(der))
    _write(folder / AUTHORITY_KEY, _pem(intermediate_key), private=True)
    _write(folder / OFFICE_CER, office.public_bytes(der))
    _write(folder / OFFICE_KEY, sat_encrypted_key(office_key, password), private=True)
    _write(folder / PASSWORD_FILE, (password + "\n").encode("utf-8"), private=True)


def _rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


_KEY_USAGES = (
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "key_cert_sign",
    "crl_sign",
    "encipher_only",
    "decipher_only",
)


def _key_usage(*granted: str) -> x509.KeyUsage:
    return x509.KeyUsage(**{name: name in granted for name in _KEY_USAGES})


def _certificate(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: rsa.RSAPublicKey,
    issuer_key: rsa.RSAPrivateKey,
    not_before: datetime,
    lifetime: timedelta,
    serial: int | None = None,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + lifetime)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    )


def _authority(
    common_name: str,
    key: rsa.RSAPrivateKey,
    issuer_key: rsa.RSAPrivateKey,
    issuer: x509.Certificate | None,  # None: self-signed (the root)
    start: datetime,
    lifetime: timedelta,
) -> x509.Certificate:
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "MX"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, DEMO_ORGANIZATION),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    issuer_name = issuer.subject if issuer is not None else subject
    constraints = x509.BasicConstraints(ca=True, path_length=None if issuer is None else 0)
    return (
        _certificate(subject, issuer_name, key.public_key(), issuer_key, start, lifetime)
        .add_extension(constraints, critical=True)
        .add_extension(_key_usage("key_cert_sign", "crl_sign"), critical=True)
        .sign(issuer_key, hashes.SHA256())
    )


def _office_certificate(
    key: rsa.RSAPrivateKey,
    issuer: x509.Certificate,
    issuer_key: rsa.RSAPrivateKey,
    start: datetime,
) -> x509.Certificate:
    printable = _ASN1Type.PrintableString  # as SAT writes the RFC and CURP
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, OFFICE_NAME),
            x509.NameAttribute(x509.ObjectIdentifier("2.5.4.41"), OFFICE_NAME),  # name
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, OFFICE_NAME),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "MX"),
            x509.NameAttribute(NameOID.EMAIL_ADDRESS, "demo@pruebas.example.mx"),
            x509.NameAttribute(
                NameOID.X500_UNIQUE_IDENTIFIER,
                f"{OFFICE_RFC} / {REPRESENTATIVE_RFC}",
                _type=printable,
            ),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, f" / {REPRESENTATIVE_CURP}", _type=printable),
        ]
    )
    usage = _key_usage(
        "digital_signature", "content_commitment", "data_encipherment", "key_agreement"
    )
    purposes = [ExtendedKeyUsageOID.EMAIL_PROTECTION, ExtendedKeyUsageOID.CLIENT_AUTH]
    serial = int.from_bytes(CERTIFICATE_NUMBER.encode("ascii"), "big")
    # Like SAT's e.firma: no AIA and no CRL distribution point.
    return (
        _certificate(
            subject, issuer.subject, key.public_key(), issuer_key, start, OFFICE_LIFETIME, serial
        )
        .add_extension(usage, critical=True)
        .add_extension(x509.ExtendedKeyUsage(purposes), critical=False)
        .sign(issuer_key, hashes.SHA256())
    )


def sat_encrypted_key(key: rsa.RSAPrivateKey, password: str) -> bytes:
    """``key`` as SAT delivers a ``.key``: EncryptedPrivateKeyInfo DER, PBES2 / PBKDF2-SHA1 /
    DES-EDE3-CBC."""
    plain = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    salt, iv = os.urandom(8), os.urandom(8)
    derived = PBKDF2HMAC(
        algorithm=hashes.SHA1(), length=24, salt=salt, iterations=PBKDF2_ITERATIONS
    ).derive(password.encode("utf-8"))
    padder = PKCS7(64).padder()
    padded = padder.update(plain) + padder.finalize()
    encryptor = Cipher(TripleDES(derived), modes.CBC(iv)).encryptor()
    encrypted = encryptor.update(padded) + encryptor.finalize()
    scheme = {
        "algorithm": "pbes2",
        "parameters": {
            "key_derivation_func": {
                "algorithm": "pbkdf2",
                "parameters": {
                    "salt": asn1_core.OctetString(salt),
                    "iteration_count": PBKDF2_ITERATIONS,
                },
            },
            "encryption_scheme": {"algorithm": "tripledes_3key", "parameters": iv},
        },
    }
    info = asn1_keys.EncryptedPrivateKeyInfo(
        {"encryption_algorithm": scheme, "encrypted_data": encrypted}
    )
    return bytes(info.dump())


def _pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _public_der(public_key: object) -> bytes:
    assert isinstance(public_key, rsa.RSAPublicKey)
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _write(path: Path, data: bytes, *, private: bool = False) -> None:
    """Write through a temporary file and a rename; keys are 0600 from the first byte."""
    mode = 0o600 if private else 0o644
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(temporary, mode)  # the umask may have narrowed it; a reused name may be wider
    os.replace(temporary, path)


class DemoOcspResponder:
    """An OCSP responder for the demo authority on 127.0.0.1 (a thread of this process).

    It answers "good" for the demo e.firma and refuses (``unauthorized``) anything else; answers
    are signed by the authority itself and valid for an hour, so the office checker's cache and
    freshness rules apply as they do with SAT's.
    """

    def __init__(self, pki: DemoPki) -> None:
        self._certificate = x509.load_der_x509_certificate(pki.office_cer.read_bytes())
        self._issuer = x509.load_der_x509_certificate(pki.intermediate_cer.read_bytes())
        key = serialization.load_pem_private_key(pki.authority_key.read_bytes(), None)
        assert isinstance(key, rsa.RSAPrivateKey)
        self._key = key
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the demo OCSP responder is not running")
        return f"http://127.0.0.1:{self._server.server_address[1]}/ocsp"

    def start(self) -> str:
        if self._server is None:
            self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
            self._server.daemon_threads = True
            self._thread = threading.Thread(
                target=self._server.serve_forever, name="demo-ocsp", daemon=True
            )
            self._thread.start()
        return self.url

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> DemoOcspResponder:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def answer(self, request_der: bytes) -> bytes:
        """The DER OCSPResponse to one request."""
        try:
            request = ocsp.load_der_ocsp_request(request_der)
        except ValueError:
            return _unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
        # The serial alone decides: the answer names the demo authority, and a client that asked
        # about another authority's certificate refuses it for that (signing.ocsp_answer).
        if request.serial_number != self._certificate.serial_number:
            return _unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED)
        now = datetime.now(UTC).replace(microsecond=0)
        response = (
            ocsp.OCSPResponseBuilder()
            .add_response(
                cert=self._certificate,
                issuer=self._issuer,
                algorithm=request.hash_algorithm,
                cert_status=ocsp.OCSPCertStatus.GOOD,
                this_update=now,
                next_update=now + timedelta(hours=1),
                revocation_time=None,
                revocation_reason=None,
            )
            .responder_id(ocsp.OCSPResponderEncoding.HASH, self._issuer)
            .sign(self._key, hashes.SHA256())
        )
        return response.public_bytes(serialization.Encoding.DER)


def _unsuccessful(status: ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(
        serialization.Encoding.DER
    )


_MAX_REQUEST_BYTES = 64 * 1024


def _handler_for(responder: DemoOcspResponder) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length") or 0)
            if not 0 < length <= _MAX_REQUEST_BYTES:
                self.send_error(400)
                return
            body = responder.answer(self.rfile.read(length))
            self.send_response(200)
            self.send_header("Content-Type", "application/ocsp-response")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return  # no line per request on the app's stderr

    return Handler
