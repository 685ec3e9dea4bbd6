"""`make bench`: every benchmark, side by side with its baseline, figures printed. Not a test."""

from __future__ import annotations

import importlib
import platform
import sys
import time

BENCHES = (
    "tests.bench.codec_bench",
    "tests.bench.server_bench",
    "tests.bench.dispatch_bench",
    "tests.bench.acd_db_bench",
    "tests.bench.crm_bench",
    "tests.bench.import_bench",
    "tests.bench.list_import_bench",
    "tests.bench.spool_bench",
    "tests.bench.dialer_sim",
    "tests.bench.report_bench",  # 200,000 calls by default; `python -m tests.bench.report_bench 10000000`
    "tests.bench.prompt_cpu_bench",  # needs FreeSWITCH and SIPp (the live tier's); minutes per build
)


def main(argv: list[str]) -> int:
    wanted = [name for name in BENCHES if not argv or any(arg in name for arg in argv)]
    print(f"python {platform.python_version()} on {platform.machine()}, {time.strftime('%Y-%m-%d %H:%M')}")
    for name in wanted:
        print(f"\n=== {name} ===", flush=True)
        importlib.import_module(name).run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
