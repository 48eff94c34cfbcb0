#!/usr/bin/env bash
# Builds the one-folder bundle dist/oficialia/ with PyInstaller (installer/oficialia.spec), as
# `make bundle` runs it. The full log goes to build/bundle/build.log (its end is shown if the
# build fails); build/bundle/last-build records how long it took and whether PyInstaller's
# cache (build/bundle/oficialia) was empty (a clean build), for bench/bundle.py.
#   DIST=folder WORK=folder installer/build-bundle.sh   builds elsewhere (the benchmark's clean build)
set -euo pipefail
cd "$(dirname "$0")/.."
dist=${DIST:-dist}
work=${WORK:-build/bundle}
mkdir -p "$work"
clean=incremental
[ -d "$work/oficialia" ] || clean=clean
started=$(date +%s%N)
if ! .venv/bin/python -m PyInstaller --noconfirm --log-level INFO --distpath "$dist" \
    --workpath "$work" installer/oficialia.spec >"$work/build.log" 2>&1; then
  tail -n 40 "$work/build.log" >&2
  echo "No se pudo construir el paquete: el registro completo está en $work/build.log." >&2
  exit 1
fi
# The executable is make's target: newer than every source once a build succeeded.
touch "$dist/oficialia/oficialia"
tenths=$((($(date +%s%N) - started) / 100000000))
seconds="$((tenths / 10)).$((tenths % 10))"
echo "$seconds $clean" >"$work/last-build"
size=$(du -sb "$dist/oficialia" | cut -f1)
files=$(find "$dist/oficialia" -type f | wc -l)
printf 'Paquete en %s/oficialia: %d MB, %d archivos, construido en %s s (%s).\n' \
  "$dist" $((size / 1000000)) "$files" "$seconds" \
  "$([ $clean = clean ] && echo 'desde cero' || echo 'con la caché de PyInstaller')"
