# Two commands on a fresh Debian/Ubuntu machine: `make run` and `make test`.
# Both install what is missing (system packages, venv, Python packages) and are quick the second time.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-16)
SYSTEM_STAMP := $(VENV)/.system-packages

.PHONY: run kiosk demo test setup system-packages packaging-packages lint bench clean screenshots bundle deb apt-repo \
  backend-local

# The clerk's desktop app on the demo profile (its own data folder, a demo e.firma, the reference
# backend on 127.0.0.1 while the app runs). Without a display it says so and points to `make demo`.
run: setup
	$(BIN)/oficialia mailroom --demo

# The citizen's kiosk on its demo profile (its own data folder, device K01, the demo e.firma open,
# the reference backend, SANE's test scanner, a receipt printer on 127.0.0.1 keeping each ticket
# as a PNG), in a 1920x1080 window so it can be tried on a desktop; admin PIN 246810.
kiosk: setup
	$(BIN)/oficialia kiosk --demo --ventana

# The headless demo: registers, OCRs and searches the sample filings, printing what it does.
demo: setup
	$(BIN)/oficialia demo

# PostgreSQL and SeaweedFS (S3) on 127.0.0.1 to try the backend at state scale with: prints the
# database URL, the S3 endpoint, its keys and a bucket, and stops both on Ctrl+C. Their data stay
# in build/servicios-locales (sync/server/local_services.py).
backend-local: setup
	$(BIN)/python -m sync.server.local_services

# The suite also builds the bundle and the packages and installs them (as root, on the machine it
# runs on: see tests/test_deb.py), so it needs the packaging tools too.
test: setup packaging-packages
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q $(PYTEST_ARGS)

setup: system-packages $(STAMP)

system-packages:
	@bash installer/system-packages.sh

packaging-packages:
	@bash installer/packaging-packages.sh

$(STAMP):
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { \
	  echo "No se pudo crear el entorno virtual: instale python3-venv (apt-get install python3-venv)."; exit 1; }
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,server]'
	@rm -f $(VENV)/.installed-*
	@touch $@

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Benchmarks print figures against their named baselines; the peers (ocrmypdf, the pyhanko command
# line) are installed only here.
bench: setup
	@bash installer/system-packages.sh ghostscript
	$(BIN)/python -m pip install -q ocrmypdf pyhanko-cli
	$(BIN)/python bench/ocr.py
	$(BIN)/python bench/search.py
	$(BIN)/python bench/signing.py
	$(BIN)/python bench/sync.py
	$(BIN)/python bench/capture.py
	$(BIN)/python bench/ui.py
	$(BIN)/python bench/cli.py
	$(BIN)/python bench/kiosk.py
	$(BIN)/python bench/kiosk_choices.py
	$(BIN)/python bench/bundle.py
	$(BIN)/python bench/permissions.py
	$(BIN)/python bench/backend.py
	$(BIN)/python bench/migrate.py
	$(BIN)/python bench/workers_killed.py

# The clerk's main screens as PNG at 1366×768 (README «Capturas de pantalla»), from a fresh demo
# profile in a temporary folder, and every kiosk screen at 1920×1080 (README «Capturas de pantalla
# del quiosco»), from the kiosk's demo profile in build/capturas-quiosco; on Qt's real xcb
# platform under Xvfb. Either fails when a text on a screen is cut. The kiosk's screens are made in
# Spanish and English, normal, large text and high contrast, each measured (kiosk.audit), into
# build/capturas-quiosco-todas; the README's (Spanish, normal, and three others) are copied.
screenshots: setup
	@bash installer/system-packages.sh xvfb xauth
	xvfb-run -a -s "-screen 0 1366x768x24" $(BIN)/python -m mailroom.ui.screenshots resources/screenshots
	rm -rf build/capturas-quiosco-todas
	xvfb-run -a -s "-screen 0 1920x1080x24" $(BIN)/python -m kiosk.screenshots build/capturas-quiosco-todas
	cp build/capturas-quiosco-todas/quiosco-*.png resources/screenshots/
	rm -f resources/screenshots/quiosco-*-en-*.png resources/screenshots/quiosco-*-grande.png \
	  resources/screenshots/quiosco-*-contraste.png resources/screenshots/quiosco-*-en.png
	cp build/capturas-quiosco-todas/quiosco-revision-grande.png \
	  build/capturas-quiosco-todas/quiosco-identidad-contraste.png \
	  build/capturas-quiosco-todas/quiosco-bienvenida-en.png resources/screenshots/

# The one-folder bundle, dist/oficialia/ (executable dist/oficialia/oficialia): both apps and the
# command line with no Python on the target (installer/oficialia.spec). Rebuilt only when a
# module, a shipped resource, the spec or pyproject.toml changed. PyInstaller needs binutils;
# the Wayland client libraries let every Qt plugin in the bundle load (tests/test_bundle.py).
BUNDLE_SOURCES := $(shell find mailroom signing sync kiosk -name '*.py' -not -path 'sync/server/*') \
  $(shell find resources/trust resources/privacy resources/i18n resources/fonts resources/passwords -type f) \
  $(wildcard mailroom/ui/translations/*.qm) kiosk/keyboard.qml pyproject.toml \
  installer/oficialia.spec installer/bundle_main.py installer/build-bundle.sh

bundle: dist/oficialia/oficialia

dist/oficialia/oficialia: $(BUNDLE_SOURCES) | setup
	@bash installer/system-packages.sh binutils libwayland-cursor0 libwayland-egl1
	@bash installer/build-bundle.sh

# The Debian/Ubuntu package dist/oficialia_<version>_amd64.deb, made from the bundle with dpkg-deb
# (installer/deb/build-deb.sh). The version is pyproject.toml's unless given: `make deb
# VERSION=0.1.1` packs the same bundle as another version (and `oficialia --version` says so).
VERSION ?= $(shell sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)
deb: bundle packaging-packages
	@bash installer/deb/build-deb.sh dist/oficialia $(VERSION) dist

# Publishes that package in the state's signed apt repository (installer/apt-repo/README.md):
# `make apt-repo REPO=/srv/oficialia/apt LLAVE=<huella>`, with the key in GnuPG's home
# (GNUPGHOME, ~/.gnupg if unset).
apt-repo:
	@test -n "$(REPO)" -a -n "$(LLAVE)" || { echo "Indique REPO=carpeta y LLAVE=huella de la \
	llave de firma (vea installer/apt-repo/README.md)." >&2; exit 2; }
	@$(MAKE) --no-print-directory deb
	@bash installer/apt-repo/build-repo.sh "$(REPO)" "$(LLAVE)" dist/oficialia_$(VERSION)_amd64.deb

clean:
	rm -rf $(VENV) .pytest_cache
