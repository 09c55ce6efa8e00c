"""Build-speed benchmark for guidebuilder: plain Python timing, no pytest.

Run from the repository root (the package need not be installed):

    python benchmarks/bench_build.py                      # lakeside, 20 pair builds, 5 commands
    python benchmarks/bench_build.py --school riverbend --runs 50
    python benchmarks/bench_build.py --profile            # cProfile over 20 pair builds
    python benchmarks/bench_build.py --profile 50 --school default

What it measures:
  1. In one process, after a warm-up build, the handout + checklist pair
     (pipeline.build_pdf for both layouts, no files written), --runs times:
     median, min and max in ms per pair.  Target: at most 20 ms per pair.
  2. The whole command `python -m guidebuilder build --school X --out TMP` in a fresh
     process, --cmd-runs times: median in seconds.  Target: at most 0.35 s.
With --profile N, it instead runs cProfile over N in-process pair builds and prints the
top 25 functions by cumulative and by total time.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from guidebuilder.pipeline import LAYOUTS, build_pdf, load_inputs  # noqa: E402

TARGET_PAIR_MS = 20.0
TARGET_COMMAND_S = 0.35


def build_pair(inputs) -> None:
    for layout in LAYOUTS:
        build_pdf(inputs, layout)


def time_in_process(inputs, runs: int) -> list[float]:
    """Milliseconds per handout + checklist pair, one figure per run."""
    build_pair(inputs)  # warm-up: fonts, images, templates, imports
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        build_pair(inputs)
        times.append((time.perf_counter() - start) * 1000)
    return times


def time_command(school: str, runs: int) -> list[float]:
    """Seconds for the whole `guidebuilder build` command in a fresh process, one figure per run.

    As after `pip install`, the package's modules are byte-compiled first (pip compiles them;
    with PYTHONDONTWRITEBYTECODE set, running from the checkout would recompile them every run),
    and one untimed run fills the user cache (parsed fonts, SVG logos, QR codes, templates)."""
    import compileall

    compileall.compile_dir(ROOT / "guidebuilder", quiet=1)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    times = []
    with tempfile.TemporaryDirectory(prefix="gb-bench-") as out:
        cmd = [sys.executable, "-m", "guidebuilder", "build", "--school", school, "--out", out]
        subprocess.run(cmd, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run(cmd, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
            times.append(time.perf_counter() - start)
    return times


def profile(inputs, runs: int) -> None:
    build_pair(inputs)  # warm-up, so one-off costs do not swamp the per-build ones
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        build_pair(inputs)
    profiler.disable()
    stats = pstats.Stats(profiler)
    stats.strip_dirs()
    for key in ("cumulative", "tottime"):
        print(f"\n=== top 25 by {key} time, {runs} pair builds ===")
        stats.sort_stats(key).print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--school", default="lakeside", help="school slug or path (default: lakeside)")
    parser.add_argument("--runs", type=int, default=20, help="in-process pair builds to time (default: 20)")
    parser.add_argument("--cmd-runs", type=int, default=5, help="whole-command runs to time (default: 5; 0 skips)")
    parser.add_argument("--profile", type=int, nargs="?", const=20, metavar="N",
                        help="profile N in-process pair builds instead of timing (default N: 20)")
    args = parser.parse_args()

    os.chdir(ROOT)  # resolve content/ and layouts/ as the CLI does from the repo root
    inputs = load_inputs(None, args.school)
    if args.profile:
        profile(inputs, args.profile)
        return

    pair = time_in_process(inputs, args.runs)
    verdict = "ok" if statistics.median(pair) <= TARGET_PAIR_MS else "OVER"
    print(f"school {args.school}: in-process pair (handout + checklist), {args.runs} runs")
    print(f"  median {statistics.median(pair):7.1f} ms   min {min(pair):7.1f} ms   max {max(pair):7.1f} ms"
          f"   target <= {TARGET_PAIR_MS:.0f} ms  [{verdict}]")
    if args.cmd_runs > 0:
        command = time_command(args.school, args.cmd_runs)
        verdict = "ok" if statistics.median(command) <= TARGET_COMMAND_S else "OVER"
        print(f"school {args.school}: whole command `guidebuilder build`, {args.cmd_runs} runs")
        print(f"  median {statistics.median(command):7.3f} s    min {min(command):7.3f} s    "
              f"max {max(command):7.3f} s    target <= {TARGET_COMMAND_S} s  [{verdict}]")


if __name__ == "__main__":
    main()
