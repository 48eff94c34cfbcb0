"""Start time of the read commands: ``.venv/bin/python bench/cli.py [--runs 9] [--filings 2000]``.

A clerk types ``oficialia list``, ``show``, ``search`` and ``sync status`` many times a day; each
is a fresh process, so what it costs is mostly what it imports. Each command runs ``--runs``
times through the installed ``oficialia`` script on a store of ``--filings`` synthetic filings
(built as ``bench/search.py`` builds its store), beside two baselines in the same run: an empty
interpreter (``python -c pass``) and ``python -c "import sqlite3"`` (the least a command that
reads a SQLite file can import). Prints the medians and PASS/FAIL against the target; the exit
status is always 0 (this is a measurement, not a test).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from search import DEVICE, OFFICE, build  # noqa: E402

from mailroom.store import Store  # noqa: E402

TARGET_SECONDS = 0.4
SCRIPT = Path(sys.executable).with_name("oficialia")


def read_commands(count: int) -> dict[str, list[str]]:
    return {
        "list": ["list"],
        "show": ["show", f"{OFFICE}-2026-{DEVICE}-{count // 2:06d}"],
        "search": ["search", "licencia", "construcción"],
        "sync status": ["sync", "status"],
    }


def median_seconds(command: list[str], runs: int) -> tuple[float, float]:
    """Median and worst wall time of ``command`` over ``runs`` runs, after one warm-up run (the
    page cache holds the interpreter and the store, as on a counter PC in use)."""
    subprocess.run(command, check=True, capture_output=True)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True)
        times.append(time.perf_counter() - started)
        if done.returncode != 0:
            sys.exit(f"{' '.join(command)} falló ({done.returncode}): {done.stderr.decode()}")
    return statistics.median(times), max(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--filings", type=int, default=2000)
    args = parser.parse_args()
    if not SCRIPT.exists():
        sys.exit(f"No está {SCRIPT}: ejecute «make setup» primero.")
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as folder:
        with Store(Path(folder)) as store:
            build(store, args.filings, seed=2026)
        print(f"Arranque de las consultas ({args.runs} corridas, {args.filings:,} escritos):")
        python = sys.executable
        baselines = {
            "python -c pass": [python, "-c", "pass"],
            'python -c "import sqlite3"': [python, "-c", "import sqlite3"],
        }
        for label, command in baselines.items():
            median, worst = median_seconds(command, args.runs)
            print(
                f"  {'línea base: ' + label:<42} {median * 1000:6.0f} ms (peor {worst * 1000:.0f})"
            )
        slowest = 0.0
        for label, command in read_commands(args.filings).items():
            full = [str(SCRIPT), "--data-dir", folder, *command]
            median, worst = median_seconds(full, args.runs)
            slowest = max(slowest, median)
            print(f"  {'oficialia ' + label:<42} {median * 1000:6.0f} ms (peor {worst * 1000:.0f})")
    verdict = "PASS" if slowest <= TARGET_SECONDS else "FAIL"
    print(
        f"{verdict}: la más lenta tarda {slowest * 1000:.0f} ms (mediana; objetivo "
        f"≤ {TARGET_SECONDS * 1000:.0f} ms)"
    )


if __name__ == "__main__":
    main()
