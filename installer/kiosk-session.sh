#!/usr/bin/env bash
# Runs the Oficialía kiosk full screen under cage, with no desktop behind it: the same command
# as installer/oficialia-kiosk.service, for trying it by hand from a text console (log in on
# Ctrl+Alt+F2 and run it). Arguments go to `oficialia kiosk` (e.g. --demo).
# When the kiosk ends, cage ends; "Salir al escritorio" gives exit code 10 (where cage passes
# the app's exit code on; see the unit).
set -euo pipefail

if ! command -v cage >/dev/null 2>&1; then
  echo "Falta cage, el compositor de quiosco: instálelo con «sudo apt-get install cage»." >&2
  exit 69
fi
if ! command -v oficialia >/dev/null 2>&1; then
  echo "No se encontró el comando «oficialia» en el PATH." >&2
  exit 69
fi
# cage puts its Wayland socket there; a console login (pam_systemd) sets it, su and sudo do not.
if [ -z "${XDG_RUNTIME_DIR:-}" ]; then
  echo "XDG_RUNTIME_DIR no está definido: entre con su usuario en una consola (Ctrl+Alt+F2)" >&2
  echo "en lugar de usar su o sudo." >&2
  exit 78
fi

# Qt talks Wayland to cage; without this it could try X11 and find no display.
export QT_QPA_PLATFORM=wayland
# No title bar, not even for the moment before the window goes full screen.
export QT_WAYLAND_DISABLE_WINDOWDECORATION=1

# exec: cage takes this process's place, so a service manager watching this pid watches cage,
# and the kiosk is cage's direct child (kiosk.watchdog relies on that for WATCHDOG_PID).
# -s: staff with a keyboard may switch to another console; the public has only the touch screen.
exec cage -s -- oficialia kiosk "$@"
