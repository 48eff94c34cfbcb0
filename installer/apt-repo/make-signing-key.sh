#!/usr/bin/env bash
# Makes the OpenGPG key that signs a state's apt repository of Oficialía (see README.md here).
#
#   installer/apt-repo/make-signing-key.sh [--sin-contrasena] [--vence PERIODO] NOMBRE CORREO CARPETA
#
# The key (Ed25519, for signing only) stays in GnuPG's home (GNUPGHOME, ~/.gnupg if unset); the
# public half is written to CARPETA as oficialia-archivo.gpg (what the PCs install in
# /etc/apt/keyrings) and oficialia-archivo.asc (the same, as text). Without --sin-contrasena
# GnuPG asks for a passphrase. PERIODO is GnuPG's (0 = never, 2y, 18m…; 0 if not given).
# Never commit a key: the secret key lives only in GnuPG's home and its offline backup.
set -euo pipefail

fail() {
    echo "No se pudo crear la llave de firma: $*" >&2
    exit 1
}

passphrase=ask
expires=0
while [ $# -gt 0 ]; do
    case $1 in
        --sin-contrasena) passphrase=none ;;
        --vence)
            [ $# -ge 2 ] || fail "falta el periodo después de --vence (por ejemplo 2y)."
            expires=$2
            shift
            ;;
        --*) fail "opción desconocida: $1" ;;
        *) break ;;
    esac
    shift
done
[ $# -eq 3 ] || fail "uso: $0 [--sin-contrasena] [--vence PERIODO] NOMBRE CORREO CARPETA"
name=$1
email=$2
out_dir=$3
[[ $email == *@* ]] || fail "«$email» no parece un correo."
command -v gpg >/dev/null || fail "falta gpg. Instálelo con: bash installer/packaging-packages.sh"

uid="$name <$email>"
if gpg --batch --list-keys -- "=$uid" >/dev/null 2>&1; then
    fail "ya hay una llave «$uid» en ${GNUPGHOME:-~/.gnupg}. Use esa o elija otro nombre."
fi
options=(--quick-generate-key "$uid" ed25519 sign "$expires")
if [ "$passphrase" = none ]; then
    gpg --batch --pinentry-mode loopback --passphrase '' "${options[@]}" 2>/dev/null
else
    gpg "${options[@]}"
fi
fingerprint=$(gpg --batch --with-colons --list-keys -- "=$uid" | awk -F: '$1 == "fpr" { print $10; exit }')
[ -n "$fingerprint" ] || fail "GnuPG no guardó la llave."

mkdir -p "$out_dir"
gpg --batch --export "$fingerprint" >"$out_dir/oficialia-archivo.gpg"
gpg --batch --armor --export "$fingerprint" >"$out_dir/oficialia-archivo.asc"
chmod 0644 "$out_dir/oficialia-archivo.gpg" "$out_dir/oficialia-archivo.asc"
echo "Llave de firma creada: $uid"
echo "Huella: $fingerprint"
echo "Llave pública para los equipos: $out_dir/oficialia-archivo.gpg"
echo "Respalde la llave secreta fuera de línea y guarde el certificado de revocación de"
echo "${GNUPGHOME:-~/.gnupg}/openpgp-revocs.d/$fingerprint.rev (ver installer/apt-repo/README.md)."
