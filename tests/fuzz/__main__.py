"""`make fuzz`: the long run, every target for its share of --inputs (1,000,000 by default).

    python -m tests.fuzz [--inputs N] [--jobs J] [--seed S] [--target NAME ...]

Targets run in J processes at once (default: the CPU count). Each prints its inputs, time,
inputs/s, slowest input and RSS growth when done; the total follows, with the peak RSS of the
largest process. The seed is printed, so a run can be repeated; a failing input is printed by
hypothesis and the run exits 1.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed

from tests.fuzz.engine import Stats, peak_rss_bytes, run
from tests.fuzz.targets import all_targets


def _run_one(name: str, inputs: int, seed: int) -> tuple[Stats, int]:
    stats = run(all_targets()[name], inputs, first_seed=seed)
    return stats, peak_rss_bytes()


def shares(names: list[str], total: int) -> dict[str, int]:
    """Each target's inputs: `total` split by weight (rounded up, so the sum is at least `total`)."""
    targets = all_targets()
    weights = sum(targets[name].weight for name in names)
    return {name: -(-total * targets[name].weight // weights) for name in names}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=1_000_000, help="inputs in total (default 1,000,000)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes at once")
    parser.add_argument("--seed", type=int, default=None, help="first hypothesis seed (default: random)")
    parser.add_argument("--target", action="append", choices=sorted(all_targets()), help="only these")
    options = parser.parse_args(argv)
    names = options.target or list(all_targets())
    seed = random.SystemRandom().randrange(2**32) if options.seed is None else options.seed
    plan = shares(names, options.inputs)
    print(
        f"fuzzing {sum(plan.values()):,} inputs over {len(names)} targets, {options.jobs} jobs, seed {seed}"
    )
    started = time.perf_counter()
    results: list[tuple[Stats, int]] = []
    failed = False
    with ProcessPoolExecutor(max_workers=options.jobs) as pool:
        futures = {
            pool.submit(_run_one, name, count, seed + 1_000_000 * index): name
            for index, (name, count) in enumerate(plan.items())
        }
        for future in as_completed(futures):
            try:
                results.append(future.result())
            except Exception:  # a target's failing input: report it, let the others finish
                failed = True
                print(f"{futures[future]}: FAILED", file=sys.stderr)
                traceback.print_exc()
                continue
            print(results[-1][0].line(), flush=True)
    elapsed = time.perf_counter() - started
    inputs = sum(stats.inputs for stats, _ in results)
    peak = max((rss for _, rss in results), default=0)
    print(
        f"total: {inputs:,} inputs in {elapsed:.1f} s ({inputs / elapsed:,.0f}/s),"
        f" slowest input {max((s.slowest for s, _ in results), default=0) * 1000:.1f} ms CPU"
        f" ({max((s.slowest_wall for s, _ in results), default=0) * 1000:.0f} ms wall),"
        f" peak RSS {peak / 1024 / 1024:.0f} MiB per process, {'FAILED' if failed else 'no failure'}"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
