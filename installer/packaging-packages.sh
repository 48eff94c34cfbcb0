#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages that building and testing Oficialía's .deb and its signed
# apt repository need (`make deb`, `make apt-repo`, tests/test_deb.py, tests/test_apt_repo.py).
# Idempotent: when everything is present it only runs dpkg queries and exits.
set -euo pipefail

packages=(
  # Debian's own checker of the built package (dpkg-deb, which builds it, comes with dpkg).
  lintian
  # apt-ftparchive writes the repository's Packages and Release files.
  apt-utils
  # Signs the Release file (InRelease, Release.gpg); gpgv is what apt checks it with.
  gnupg gpgv
  # debconf-communicate, to clear the answers the tests preseed.
  debconf-utils
  # objdump (the glibc version the bundle needs) and readelf (which libraries it links).
  binutils
  # Packages.xz in the repository.
  xz-utils
  # The maintainer and packaging scripts are checked with it (tests/test_deb.py).
  shellcheck
  # The Windows installer: makensis compiles it (64-bit stubs included), and wine64 runs it,
  # install → upgrade → uninstall, in tests/test_windows_installer.py (about 100 MB to download).
  nsis wine64
)
# The .deb's tests install it with apt and no sources, so nothing is downloaded then: everything
# its Depends and Recommends name must already be here.
control="$(dirname "${BASH_SOURCE[0]}")/deb/debian/control.in"
for field in Depends Recommends; do
  while read -r name; do
    [ -n "$name" ] && packages+=("$name")
  done < <(sed -n "s/^$field: //p" "$control" | tr ',' '\n' | sed -e 's/|.*//' -e 's/(.*)//' |
    tr -d ' ')
done
packages+=("$@")

# The same installer as the rest (missing ones only, apt-get with sudo when not root).
exec bash "$(dirname "${BASH_SOURCE[0]}")/system-packages.sh" "${packages[@]}"
