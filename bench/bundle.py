"""The one-folder bundle (``make bundle``, ``installer/oficialia.spec``): its size, a clean build's
time, and the cold start of the bundled clerk's app and kiosk to their first painted window
beside the same started from source, in the same run.

1. Size: the folder's bytes (MB = 10^6, and MiB) and files, and its biggest parts. Target:
   ≤ 250 MB.
2. Build: a clean build (PyInstaller's cache empty) into a scratch folder, timed
   (``installer/build-bundle.sh``); with ``--no-build``, ``dist/oficialia`` as ``make -s bundle``
   leaves it, and the time its last build recorded (``build/bundle/last-build``).
3. Cold start to the first painted window, a new process each run, timed by the parent from the
   spawn to the child's line (``bench/firstpaint.py``, the same watchers as ``bench/ui.py`` and
   ``bench/kiosk.py``): the clerk's ``oficialia mailroom`` on a fresh data folder (its main
   window's first paint; "ready" once every screen has data) and ``oficialia kiosk`` full screen
   on a data folder made by a first start (the first welcome a citizen sees; "ready" once the
   real welcome is painted). The bundle runs the watcher inside its own executable
   (``OFICIALIA_BUNDLE_PROBE``, ``installer/bundle_main.py``) on the bundle's modules; source
   runs ``python bench/firstpaint.py`` from the tree. Both alternate, after one warm-up start
   each (the OS file cache warm, as at a desk's second start of the day); median of ``--runs``.
   Target: bundle ≤ 1.3× source.

Offscreen, on one 1920×1080 screen. Data folders, the scratch build and every temporary file go
under ``--work-dir`` (default ``bench/.work-bundle``), removed at the end. Run:
``.venv/bin/python bench/bundle.py`` (``make bench`` runs it with the others). The exit status is
0 unless the benchmark itself broke: this is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import firstpaint  # noqa: E402 - bench/firstpaint.py: the children's watchers

TARGET_SIZE_MB = 250.0
TARGET_START_RATIO = 1.3
CHILD_TIMEOUT_S = 120
FIRST_PAINT = {"clerk": firstpaint.SHOWN, "kiosk": "first welcome"}
READY = {"clerk": firstpaint.READY, "kiosk": "welcome"}
LABEL = {"clerk": "clerk's app (oficialia mailroom)", "kiosk": "kiosk (oficialia kiosk)"}


def verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def child_environment(folder: Path) -> dict[str, str]:
    """Offscreen on one kiosk-sized screen; SANE's test backend alone (the kiosk's scanner)."""
    screen = {"name": "panel", "x": 0, "y": 0, "width": 1920, "height": 1080}
    config = folder / "screen.json"
    config.write_text(json.dumps({"screens": [{**screen, "logicalDpiX": 96, "dpr": 1}]}))
    sane = folder / "sane"
    sane.mkdir()
    (sane / "dll.conf").write_text("test\n", encoding="utf-8")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("OFICIALIA_", "QT_", "NOTIFY_SOCKET", "WATCHDOG_"))
    }
    env |= {"QT_QPA_PLATFORM": f"offscreen:configfile={config}", "SANE_CONFIG_DIR": str(sane)}
    env["QT_LOGGING_RULES"] = "qt.multimedia.symbolsresolver=false"  # no PipeWire here: noise
    return env


# -- 1 and 2: building and measuring the folder -------------------------------------------------


def clean_build(folder: Path) -> tuple[Path, float]:
    """A bundle built from nothing into ``folder``: its path and the seconds it took."""
    env = {**os.environ, "DIST": str(folder / "dist"), "WORK": str(folder / "work")}
    started = time.perf_counter()
    subprocess.run(
        ["bash", str(ROOT / "installer" / "build-bundle.sh")], cwd=ROOT, env=env, check=True
    )
    return folder / "dist" / "oficialia", time.perf_counter() - started


def existing_build() -> tuple[Path, float, str]:
    """``dist/oficialia`` as ``make -s bundle`` leaves it, and its last recorded build."""
    subprocess.run(["make", "-s", "bundle"], cwd=ROOT, check=True)
    seconds, kind = (ROOT / "build" / "bundle" / "last-build").read_text().split()
    return ROOT / "dist" / "oficialia", float(seconds), kind


def size_figures(bundle: Path) -> bool:
    files = [p for p in bundle.rglob("*") if p.is_file() and not p.is_symlink()]
    total = sum(p.stat().st_size for p in files)
    met = total / 1e6 <= TARGET_SIZE_MB
    print(
        f"bundle size: {total / 1e6:.1f} MB ({total / 2**20:.1f} MiB) in {len(files)} files "
        f"(target ≤ {TARGET_SIZE_MB:g} MB: {verdict(met)})"
    )
    parts: dict[str, int] = {}
    for path in files:
        relative = path.relative_to(bundle).parts
        if relative[0] == "_internal":
            relative = relative[1:]
        if relative[0] == "PySide6":
            key = "/".join(relative[:3]) if relative[1] == "Qt" else "PySide6 (bindings)"
        else:
            key = relative[0] if len(relative) > 1 else "(top: the executable, libpython …)"
        parts[key] = parts.get(key, 0) + path.stat().st_size
    biggest = sorted(parts.items(), key=lambda item: -item[1])[:8]
    print("    biggest: " + ", ".join(f"{name} {size / 1e6:.1f}" for name, size in biggest))
    return met


# -- 3: cold start ------------------------------------------------------------------------------


def time_child(command: Sequence[str], env: dict[str, str], expected_modules: Path) -> dict:
    """Seconds from spawning ``command`` to each line it prints (the first time each)."""
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        child = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=errors, text=True
        )
        assert child.stdout is not None
        times: dict[str, float] = {}
        modules = ""
        for line in child.stdout:
            if line.startswith("modules "):
                modules = line.split(" ", 1)[1].strip()
            times.setdefault(line.strip(), time.perf_counter() - started)
        failed = child.wait(CHILD_TIMEOUT_S) != 0
        if failed or Path(modules) != expected_modules:
            errors.seek(0)
            sys.stderr.write(errors.read().decode(errors="replace")[-3000:])
            raise RuntimeError(
                f"a cold-start child failed ({child.returncode}, modules from {modules!r}, "
                f"not {expected_modules}): {sorted(times)}"
            )
    return times


def start_commands(bundle: Path, app: str, data: Path) -> dict[str, list[str]]:
    script = str(ROOT / "bench" / "firstpaint.py")
    return {
        "bundle": [str(bundle / "oficialia"), app, str(data)],
        "source": [sys.executable, script, app, str(data)],
    }


def start_figures(bundle: Path, work: Path, runs: int) -> list[bool]:
    env = child_environment(work)
    bundle_env = {**env, "OFICIALIA_BUNDLE_PROBE": str(ROOT / "bench" / "firstpaint.py")}
    modules = {"bundle": bundle / "_internal", "source": ROOT}
    print(f"cold start to the first painted window, median of {runs} (one warm-up start each)")
    met = []
    for app in ("clerk", "kiosk"):
        samples: dict[str, list[dict]] = {"bundle": [], "source": []}
        for run in range(runs + 1):  # run 0: the warm-up (and the kiosk's database made)
            for variant in ("bundle", "source"):
                data = work / app / variant / ("datos" if app == "kiosk" else f"datos-{run}")
                if not data.exists():
                    data.mkdir(parents=True)
                    if app == "kiosk":
                        (data / "config.toml").write_text(
                            "# bench/bundle.py\n" + firstpaint.KIOSK_CONFIG, encoding="utf-8"
                        )
                command = start_commands(bundle, app, data)[variant]
                times = time_child(
                    command, bundle_env if variant == "bundle" else env, modules[variant]
                )
                if run:
                    samples[variant].append(times)
        met.append(print_starts(app, samples))
    return met


def print_starts(app: str, samples: dict[str, list[dict]]) -> bool:
    shown = {v: [t[FIRST_PAINT[app]] for t in s] for v, s in samples.items()}
    ready = {v: [t.get(READY[app], 0.0) for t in s] for v, s in samples.items()}
    median = {v: statistics.median(values) for v, values in shown.items()}
    median_ready = {v: statistics.median(values) for v, values in ready.items()}
    ratio = median["bundle"] / median["source"]
    met = ratio <= TARGET_START_RATIO
    print(
        f"    {LABEL[app]}: bundle {median['bundle']:.2f} s vs source {median['source']:.2f} s "
        f"→ {ratio:.2f}× (target ≤ {TARGET_START_RATIO:g}×: {verdict(met)}); ready: bundle "
        f"{median_ready['bundle']:.2f} s, source {median_ready['source']:.2f} s"
    )
    for variant in ("bundle", "source"):
        runs = ", ".join(f"{value:.2f}" for value in shown[variant])
        print(f"        {variant}: runs {runs} s")
    return met


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed starts of each (default 5)")
    parser.add_argument(
        "--no-build",
        action="store_true",
        help="measure dist/oficialia (make -s bundle) instead of timing a clean build",
    )
    parser.add_argument("--work-dir", help="where the scratch build and data folders go")
    options = parser.parse_args(argv)
    with firstpaint.work_folder(options.work_dir, "bundle") as work:
        print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start")
        if options.no_build:
            bundle, seconds, kind = existing_build()
            print(f"build: the last one took {seconds:.1f} s ({kind}; build/bundle/last-build)")
        else:
            bundle, seconds = clean_build(work / "construccion")
            print(f"clean build (PyInstaller's cache empty): {seconds:.1f} s")
        met = [size_figures(bundle)]
        met += start_figures(bundle, work, options.runs)
    print(
        f"targets met: {sum(met)} of {len(met)}; load average {os.getloadavg()[0]:.1f} at the end"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
