"""The state backend's workers killed during a long run, at full size:
``.venv/bin/python bench/workers_killed.py [--devices 6] [--filings 40] [--seconds 120]``.

``oficialia serve-backend --workers N`` over a local PostgreSQL cluster and a local SeaweedFS, both
started here in the work folder (:mod:`sync.server.local_services`). Real devices (threads of this
process running the real client) file and sync for ``--seconds`` while a random worker is killed
with SIGKILL every 2–4 s, aimed just after a chunk was acknowledged, and the object store once.
Afterwards: every filing with a receipt is on the backend exactly once with that folio, folios per
office run 1..N, blobs hash to their names, and after the sweep nothing of an upload is left.
The run is tests/test_backend_workers_killed.py's :func:`run_with_kills`, at a larger size.

Prints the kills, the filings, the time, each check and PASS/FAIL; exit status 0 on PASS, 1 on FAIL.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.test_backend_workers_killed import run_with_kills  # noqa: E402


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(
            "Mata procesos del servidor estatal (y una vez el almacén S3) mientras varios equipos "
            "registran y sincronizan escritos, y comprueba que no se pierde ni se repite nada."
        )
    )
    parser.add_argument("--devices", type=int, default=6, help="equipos (6)")
    parser.add_argument("--filings", type=int, default=40, help="escritos por equipo (40)")
    parser.add_argument(
        "--seconds", type=float, default=120.0, help="segundos en que se registran (120)"
    )
    parser.add_argument("--workers", type=int, default=2, help="procesos del servidor (2)")
    parser.add_argument("--seed", type=int, default=17, help="semilla de las muertes (17)")
    parser.add_argument("--work-dir", help="carpeta de trabajo (bench/.work-workers_killed)")
    return parser.parse_args()


def main() -> int:
    from state_services import with_state_services  # bench/ is on the path as a script

    options = arguments()
    outcome = with_state_services(
        options.work_dir,
        "workers_killed",
        lambda folder, postgres, seaweed: run_with_kills(
            folder / "corrida",
            postgres.create_database("bench_muertes"),
            seaweed,
            seaweed.create_bucket("bench-muertes"),
            devices=options.devices,
            filings=options.filings,
            seconds=options.seconds,
            workers=options.workers,
            seed=options.seed,
            say=lambda line: print(line, flush=True),
        ),
    )
    if outcome is None:
        return 1
    print(f"Barrido: {outcome.swept}; pasada más lenta {outcome.slowest_pass:.1f} s")
    print(outcome.report())
    for check in outcome.checks:
        print(
            f"  {'sí' if check.ok else 'NO'}  {check.what}"
            + ("" if check.ok else f": {check.detail}")
        )
    print(f"{'PASS' if outcome.passed else 'FAIL'}: {outcome.summary()}")
    return 0 if outcome.passed else 1


if __name__ == "__main__":
    sys.exit(main())
