#!/usr/bin/env bash
# Builds (or updates) a state's signed apt repository of Oficialía (see README.md here).
#
#   installer/apt-repo/build-repo.sh [--vigencia DIAS] REPOSITORIO LLAVE [PAQUETE.deb ...]
#
# Each PAQUETE.deb is copied into REPOSITORIO/pool/main/o/<package>/; then the indexes are
# written anew from everything in the pool with apt-ftparchive (apt-utils) and the Release file
# is signed with the GnuPG key LLAVE (its fingerprint; from GNUPGHOME, ~/.gnupg if unset) as
# InRelease (clearsigned, what apt reads first) and Release.gpg (detached, for older clients).
# Without packages it only re-indexes and re-signs (to renew --vigencia).
#
# --vigencia DIAS writes Valid-Until: the PCs refuse indexes older than that, so nobody can keep
# them on an old version by replaying old files; the repository must then be re-signed within
# DIAS days, every time (a cron job). GPG_PASSPHRASE_FILE, if set, holds the key's passphrase.
#
# apt-ftparchive rather than reprepro: the pool folder is the whole state, the indexes are made
# from it each time (nothing else to keep in step), and apt-utils is a small standard package.
set -euo pipefail

SUITE=estable
COMPONENT=main
ARCHITECTURE=amd64

fail() {
    echo "No se pudo publicar el repositorio: $*" >&2
    exit 1
}

valid_days=
while [ $# -gt 0 ]; do
    case $1 in
        --vigencia)
            [ $# -ge 2 ] || fail "falta el número de días después de --vigencia."
            valid_days=$2
            shift
            ;;
        --*) fail "opción desconocida: $1" ;;
        *) break ;;
    esac
    shift
done
[ $# -ge 2 ] || fail "uso: $0 [--vigencia DIAS] REPOSITORIO LLAVE [PAQUETE.deb ...]"
repo=$1
key=$2
shift 2
if [ -n "$valid_days" ] && ! [[ $valid_days =~ ^[0-9]+$ && $valid_days -gt 0 ]]; then
    fail "--vigencia lleva un número de días mayor que cero (se leyó «$valid_days»)."
fi
for tool in apt-ftparchive gpg dpkg-deb xz; do
    command -v "$tool" >/dev/null || fail "falta $tool. Instálelo con: bash installer/packaging-packages.sh"
done
gpg --batch --list-secret-keys -- "$key" >/dev/null 2>&1 ||
    fail "GnuPG no tiene la llave secreta «$key» (en ${GNUPGHOME:-~/.gnupg}). Créela con make-signing-key.sh."

mkdir -p "$repo"
repo=$(cd "$repo" && pwd)

# -- the pool -----------------------------------------------------------------------------------
for deb in "$@"; do
    [ -f "$deb" ] || fail "no existe el paquete $deb."
    package=$(dpkg-deb --field "$deb" Package) || fail "$deb no es un paquete .deb."
    version=$(dpkg-deb --field "$deb" Version)
    architecture=$(dpkg-deb --field "$deb" Architecture)
    folder="$repo/pool/$COMPONENT/${package:0:1}/$package"
    target="$folder/${package}_${version}_${architecture}.deb"
    mkdir -p "$folder"
    if [ -e "$target" ]; then
        # A PC that already has this version would never take a different build of it.
        cmp -s "$deb" "$target" ||
            fail "ya se publicó $package $version con otro contenido. Publique una versión nueva."
        continue
    fi
    cp "$deb" "$target.tmp"
    chmod 0644 "$target.tmp"
    mv "$target.tmp" "$target"
    echo "Publicado: $package $version"
done

# -- indexes and the signed Release -----------------------------------------------------------
# Written into a fresh folder and swapped in at the end: a PC that updates meanwhile sees the old
# indexes or the new ones, never a Release that does not match its Packages.
cd "$repo"
mkdir -p pool dists
dist=dists/$SUITE
stage=dists/.$SUITE.nuevo
rm -rf "$stage"
binary=$stage/$COMPONENT/binary-$ARCHITECTURE
mkdir -p "$binary"
apt-ftparchive packages pool >"$binary/Packages"
gzip -9n <"$binary/Packages" >"$binary/Packages.gz"
xz -6 <"$binary/Packages" >"$binary/Packages.xz"

release_options=(
    -o "APT::FTPArchive::Release::Origin=Oficialia"
    -o "APT::FTPArchive::Release::Label=Oficialia"
    -o "APT::FTPArchive::Release::Suite=$SUITE"
    -o "APT::FTPArchive::Release::Codename=$SUITE"
    -o "APT::FTPArchive::Release::Architectures=$ARCHITECTURE"
    -o "APT::FTPArchive::Release::Components=$COMPONENT"
    -o "APT::FTPArchive::Release::Description=Oficialía de Partes: actualizaciones firmadas"
)
if [ -n "$valid_days" ]; then
    release_options+=(-o "APT::FTPArchive::Release::ValidTime=$((valid_days * 86400))")
fi
apt-ftparchive "${release_options[@]}" release "$stage" >"$stage/Release.tmp"
mv "$stage/Release.tmp" "$stage/Release"

signing=(gpg --batch --yes --local-user "$key")
if [ -n "${GPG_PASSPHRASE_FILE:-}" ]; then
    signing+=(--pinentry-mode loopback --passphrase-file "$GPG_PASSPHRASE_FILE")
fi
"${signing[@]}" --clearsign --output "$stage/InRelease" "$stage/Release" ||
    fail "GnuPG no pudo firmar con la llave «$key»."
"${signing[@]}" --armor --detach-sign --output "$stage/Release.gpg" "$stage/Release" ||
    fail "GnuPG no pudo firmar con la llave «$key»."
chmod -R a+rX "$stage"

if [ -d "$dist" ]; then
    rm -rf "dists/.$SUITE.anterior"
    mv -T "$dist" "dists/.$SUITE.anterior"
fi
mv -T "$stage" "$dist"
rm -rf "dists/.$SUITE.anterior"

count=$(grep -c '^Package:' "$dist/$COMPONENT/binary-$ARCHITECTURE/Packages" || true)
echo "Repositorio $repo firmado con $key: $count paquete(s) en $SUITE/$COMPONENT."
