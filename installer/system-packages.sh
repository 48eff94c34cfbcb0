#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages Oficialía needs at run and test time.
# Idempotent: when everything is present it only runs dpkg queries and exits.
set -euo pipefail

packages=(
  # Debian's python3 has no venv module without it.
  python3-venv
  tesseract-ocr tesseract-ocr-spa tesseract-ocr-osd poppler-utils
  # Qt runtime libraries, so the desktop apps and their tests run offscreen.
  libegl1 libgl1 libxkbcommon0 libfontconfig1 libdbus-1-3 fonts-dejavu-core
  # ... and on a desktop (`make run`): Qt's xcb platform plugin needs these since Qt 6.5; the
  # print dialog's CUPS plugin needs libcups2.
  libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0
  libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libxkbcommon-x11-0 libcups2
  # The kiosk: QtMultimedia (camera) does not import without libpulse0 (missing on a clean
  # Debian 12); the receipt printer over USB goes through libusb.
  libpulse0 libusb-1.0-0
  # The kiosk's spoken guidance: Qt's speech plugin talks to speech-dispatcher, which speaks
  # with espeak-ng (its Latin-American Spanish voice is es-419).
  speech-dispatcher speech-dispatcher-espeak-ng espeak-ng
  # The on-screen keyboard's tests run on a real X server (xcb): offscreen lets the keyboard's
  # window take the focus, which hides the very bug they look for.
  xvfb xauth
  # SANE and its `test` backend for scanner capture; python-sane has no wheel and is compiled
  # against libsane at `pip install` (libc6-dev: gcc alone does not bring the C headers when
  # recommends are skipped).
  sane-utils libsane1 libsane-dev gcc libc6-dev python3-dev
  # The test PKI writes SAT-style .key files (PKCS#8, PBES2, DES-EDE3) with openssl; pdfsig's
  # trust database for the independent check is made with certutil.
  openssl libnss3-tools
  # The state backend at scale: its tests start their own PostgreSQL cluster from Debian's
  # binaries (initdb into a temporary folder, on 127.0.0.1; no system cluster is used), and check
  # the public verification page of the acuse in a real browser, headless Chromium driven through
  # chromium-driver.
  postgresql chromium chromium-driver
)
packages+=("$@")

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "Este sistema no tiene apt-get. Instale a mano: ${missing[*]}" >&2
  echo "(tesseract con el idioma español, poppler y las bibliotecas de Qt)." >&2
  exit 1
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
  else
    echo "Faltan paquetes y no hay sudo. Como root ejecute:" >&2
    echo "  apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

echo "Instalando paquetes del sistema: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
