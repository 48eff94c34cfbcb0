#!/usr/bin/env bash
# Builds oficialia_<VERSION>_amd64.deb from the PyInstaller one-folder bundle (`make deb`).
#
#   installer/deb/build-deb.sh BUNDLE VERSION OUT_DIR
#
# BUNDLE is dist/oficialia (`make bundle`); it is copied, never changed: the copy's
# _internal/resources/VERSION is stamped with VERSION, so `oficialia --version` tells the
# package's version. The tree is laid out here and packed with dpkg-deb --root-owner-group, not
# debhelper: the bundle is already built, and debhelper's dh_strip would strip the executable
# that carries PyInstaller's archive, dh_shlibdeps would turn optional Qt plugins into hard
# dependencies and takes about a minute on 400 ELF files. What debhelper would add by hand is
# written here: md5sums, the systemd snippets (postinst/postrm), the compressed changelog.
#
# DEB_COMPRESSION (zstd, xz or gzip; zstd if unset) and DEB_MAINTAINER can be set.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

fail() {
    echo "No se pudo armar el paquete .deb: $*" >&2
    exit 1
}

[ $# -eq 3 ] || fail "uso: $0 CARPETA_DEL_BUNDLE VERSION CARPETA_DE_SALIDA"
bundle=$1
version=$2
out_dir=$3
# Measured with dpkg-deb on the 233 MB bundle, on the 2-core CI machine under load: zstd -9 packs
# it to 93 MB in 8 s (unpacks in 0.9 s); xz -6 to 78 MB in 108 s (unpacks in 3.5 s); gzip -9 to
# 103 MB in 28 s; zstd -19 to 84 MB in 119 s. zstd -9 keeps `make deb` and the tests' two builds
# quick and installs fastest on an old counter PC; DEB_COMPRESSION=xz saves 15 MB of download
# for a release when time does not matter. dpkg reads zstd since 1.21.18 (Debian 12; Ubuntu
# since 21.10).
compression=${DEB_COMPRESSION:-zstd}
maintainer=${DEB_MAINTAINER:-Equipo de Oficialía <paquetes@oficialia.example>}

# A native package's version (no Debian revision): digits first, then letters, digits, . + ~.
[[ $version =~ ^[0-9][A-Za-z0-9.+~]*$ ]] ||
    fail "la versión «$version» no es válida (use algo como 0.1.1, sin espacios ni guiones)."
if [ ! -x "$bundle/oficialia" ] || [ ! -d "$bundle/_internal" ]; then
    fail "no se encontró el programa en $bundle/oficialia. Arme antes el bundle: make bundle"
fi
case $compression in
    zstd) level=(-z9) ;;
    xz) level=(-z6) ;;
    gzip) level=(-z9) ;;
    *) fail "compresión desconocida: $compression (use zstd, xz o gzip)." ;;
esac
for tool in dpkg-deb md5sum gzip objdump; do
    command -v "$tool" >/dev/null || fail "falta $tool. Instálelo con: bash installer/packaging-packages.sh"
done

started=$(date +%s%N)
mkdir -p "$out_dir"
out_dir=$(cd "$out_dir" && pwd)
work=$(mktemp -d "$out_dir/.oficialia-deb-XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
deb="$out_dir/oficialia_${version}_amd64.deb"

# -- the program --------------------------------------------------------------------------------
mkdir -p "$root/opt"
cp -a "$bundle" "$root/opt/oficialia"
printf '%s\n' "$version" >"$root/opt/oficialia/_internal/resources/VERSION"
# dpkg keeps the modes it is given: folders 755, files 644 (shared libraries too, as Debian
# ships them), and the bundle's executables (the program itself) 755.
find "$root/opt/oficialia" -type d -exec chmod 0755 {} +
find "$root/opt/oficialia" -type f \( -name '*.so' -o -name '*.so.*' -o ! -perm -u+x \) \
    -exec chmod 0644 {} +
find "$root/opt/oficialia" -type f ! -name '*.so' ! -name '*.so.*' -perm -u+x -exec chmod 0755 {} +
chmod 0755 "$root/opt/oficialia/oficialia"
# PyInstaller's bootloader finds _internal beside the real executable, through the symlink.
mkdir -p "$root/usr/bin"
ln -s /opt/oficialia/oficialia "$root/usr/bin/oficialia"

# -- desktop entries, icons, the kiosk's unit, docs ----------------------------------------------
install -D -m 0644 -t "$root/usr/share/applications" "$here"/applications/*.desktop
install -D -m 0644 -t "$root/usr/share/icons/hicolor/scalable/apps" "$here"/icons/*.svg
# Debian 12 still keeps packaged units in /lib (its merged /usr aliases it to /usr/lib).
install -D -m 0644 "$here/oficialia-kiosk.service" "$root/lib/systemd/system/oficialia-kiosk.service"
doc=$root/usr/share/doc/oficialia
install -D -m 0644 "$here/copyright" "$doc/copyright"
install -m 0644 "$here/../KIOSCO.md" "$doc/KIOSCO.md"
# The changelog's newest entry must name the package's version: a build of a version it does not
# have yet (make deb VERSION=0.1.1) gets one entry saying so.
{
    top=$(sed -n '1s/^oficialia (\([^)]*\)).*/\1/p' "$here/changelog")
    if [ "$top" != "$version" ]; then
        printf 'oficialia (%s) unstable; urgency=medium\n\n' "$version"
        printf '  * Paquete de la versión %s.\n\n' "$version"
        printf ' -- %s  %s\n\n' "$maintainer" "$(date -R ${SOURCE_DATE_EPOCH:+-d @$SOURCE_DATE_EPOCH})"
    fi
    cat "$here/changelog"
} | gzip -9n >"$doc/changelog.gz"
chmod 0644 "$doc/changelog.gz"
install -d -m 0755 "$root/usr/share/man/man1"
gzip -9n <"$here/oficialia.1" >"$root/usr/share/man/man1/oficialia.1.gz"
chmod 0644 "$root/usr/share/man/man1/oficialia.1.gz"
install -D -m 0644 "$here/lintian-overrides" "$root/usr/share/lintian/overrides/oficialia"

# -- control area -------------------------------------------------------------------------------
control=$root/DEBIAN
install -d -m 0755 "$control"
for script in config postinst prerm postrm; do
    install -m 0755 "$here/debian/$script" "$control/$script"
done
install -m 0644 "$here/debian/templates" "$control/templates"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z |
    xargs -0 md5sum) >"$control/md5sums"
chmod 0644 "$control/md5sums"
installed_size=$(du -s -k --exclude=DEBIAN "$root" | cut -f1)
# The newest glibc symbol version any ELF file of the bundle asks for: the libraries PyInstaller
# copied from the build machine set it (2.36 for a bundle built on Debian 12).
glibc=$(find "$root/opt/oficialia" -type f \( -name '*.so*' -o -perm -u+x \) -print0 |
    xargs -0 objdump -T 2>/dev/null | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' |
    sort -uV | tail -n 1)
[ -n "$glibc" ] || fail "no se pudo leer qué versión de glibc pide el bundle (objdump)."
sed -e "s/@VERSION@/$version/" -e "s/@INSTALLED_SIZE@/$installed_size/" \
    -e "s|@MAINTAINER@|$maintainer|" -e "s/@GLIBC@/$glibc/" \
    "$here/debian/control.in" >"$control/control"

dpkg-deb --root-owner-group -Z"$compression" "${level[@]}" --build "$root" "$deb" >/dev/null
elapsed_ms=$((($(date +%s%N) - started) / 1000000))
size=$(du -h "$deb" | cut -f1)
echo "Paquete: $deb ($size, $compression, armado en $((elapsed_ms / 1000)).$((elapsed_ms % 1000 / 100)) s)"
