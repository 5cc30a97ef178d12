"""`python -m bench [NAME ...]`: run the benchmarks (all by default), then write BENCHMARKS.md.

Each benchmark's result is kept in `var/bench/NAME.json`, so `python -m bench report`
rewrites the report from the last results, and `python -m bench latency` re-runs one.
BENCH_QUICK=1 runs a small smoke variant of each (its report says so).
"""

from __future__ import annotations

import importlib
import json
import sys
import time
import traceback

from bench.common import BENCHMARKS as ORDER
from bench.common import OUT, log, machine, quick


def main(argv: list[str]) -> int:
    names = [n for n in argv if n != "report"] or ([] if "report" in argv else list(ORDER))
    unknown = [n for n in names if n not in ORDER]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(ORDER)}")
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    failed = []
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        log(f"== {name}")
        before = machine()
        started = time.monotonic()
        try:
            result = module.run(quick())
        except Exception as error:
            traceback.print_exc()
            result = {"error": f"{type(error).__name__}: {error}"}
            failed.append(name)
        result["_meta"] = {
            "seconds": time.monotonic() - started,
            "quick": quick(),
            "load_before": before["load"],
            "load_after": machine()["load"],
            "finished": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        }
        (OUT / f"{name}.json").write_text(json.dumps(result, indent=1, default=str))
    from bench import report

    report.write()
    if failed:
        log(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
