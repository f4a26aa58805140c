"""Instructions per request: bare `mitmdump` vs `drift proxy`, counted by valgrind's callgrind.

`bench_proxy.py` measures throughput and CPU time, which a shared 2-core machine blurs by
±10% from one 8-second slice to the next. Instruction counts do not depend on what else the
machine runs, so they resolve the proxy's own cost to well under 1%:

* the same nginx upstream and `wrk` traffic mix as `bench_proxy.py` (four consumers, ~1.5 KB
  JSON bodies, 7% POSTs), through each configuration in turn: `bare` mitmdump, `drift proxy`
  (default sampling), `drift proxy --sample-all`, and `addon-all`, drift's addon loaded into
  plain mitmdump (`-s`) with every body sampled. `drift proxy` runs mitmproxy without
  mitmdump's console-output addons, so `addon-all` against `bare` is the addon's own cost with
  everything else equal;
* each proxy runs under `valgrind --tool=callgrind --instr-atstart=no`, so start-up is not
  counted; after a warm-up, `callgrind_control -i on` starts counting, `wrk -t1 -c4` runs for
  `--duration` seconds, and counting stops once wrk has finished;
* instructions per request = callgrind's total for the window / requests wrk completed.
  Every thread of the proxy process is counted (mitmproxy's event loop, drift's hook, its
  shipping, counters and metrics threads). drift's capture process is a separate program
  (valgrind does not follow it: `--trace-children=no`) and is reported by `bench_proxy.py`.

    .venv/bin/python benchmarks/bench_proxy_instructions.py              # 2 rounds, ~12 min
    .venv/bin/python benchmarks/bench_proxy_instructions.py --rounds 1 --duration 20

Needs valgrind, wrk and nginx (Debian: `apt-get install -y valgrind wrk nginx-light`). Under
callgrind a proxy serves ~15-20 requests per second; what counts is instructions, not time.
Only 127.0.0.1 is used; every process started here is stopped by its PID.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_proxy as bp  # the same upstream, traffic mix and helpers

CONFIGS = ("bare", "drift", "drift-all", "addon-all")
ADDON = bp.ROOT / "drift" / "edges" / "proxy" / "addon.py"


def totals(dump: Path) -> int:
    for line in dump.read_text().splitlines():
        if line.startswith("totals:"):
            return int(line.split()[1])
    raise SystemExit(f"no totals line in {dump}")


def control(*args: str) -> None:
    subprocess.run(["callgrind_control", *args], check=True, capture_output=True, timeout=60)


def measure(
    bench: bp.Bench, config: str, workdir: Path, args: argparse.Namespace
) -> dict[str, Any]:
    port = bp.free_port()
    upstream = f"http://127.0.0.1:{bench.upstream_port}"
    out = workdir / f"callgrind.{config}.{port}"
    valgrind = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}"]
    if config == "bare":
        cmd = [str(bp.BIN / "mitmdump"), "-q", "--mode", f"reverse:{upstream}"]
        cmd += ["--listen-host", "127.0.0.1", "-p", str(port)]
    elif config == "addon-all":  # the addon in plain mitmdump: the same master as `bare`
        cmd = [str(bp.BIN / "mitmdump"), "-q", "--mode", f"reverse:{upstream}"]
        cmd += ["--listen-host", "127.0.0.1", "-p", str(port), "-s", str(ADDON)]
        for option in (
            f"drift_contract={bp.CONTRACT}",
            f"drift_store=sqlite:///{workdir / (config + '.db')}",
            "drift_metrics=",
            f"drift_consumer_header={bp.CONSUMER_HEADER}",
            "drift_sample_first=0",
            "drift_sample_route_rate=inf",
            "drift_sample_global_rate=inf",
        ):
            cmd += ["--set", option]
    else:
        cmd = [str(bp.BIN / "drift"), "proxy", "--contract", str(bp.CONTRACT)]
        cmd += ["--upstream", upstream, "--listen", f"127.0.0.1:{port}"]
        cmd += ["--store", f"sqlite:///{workdir / (config + '.db')}", "--metrics", ""]
        cmd += ["--consumer-header", bp.CONSUMER_HEADER]
        if config == "drift-all":
            cmd.append("--sample-all")
    proc = bench.spawn(config, [*valgrind, sys.executable, *cmd], port)
    try:
        bench.wait_ready(proc, "/v1/orders?status=paid", timeout=600)
        bench.wrk(port, args.warmup, 4, 1)
        control("-i", "on", str(proc.pid))
        load = bench.wrk(port, args.duration, 4, 1)
        control("-i", "off", str(proc.pid))
        control("-d", str(proc.pid))
        dumps = sorted(workdir.glob(f"callgrind.{config}.{port}*"), key=lambda p: p.stat().st_mtime)
        instructions = totals(dumps[-1])
    finally:
        proc.stop(signal.SIGTERM, timeout=120)
    requests = load["requests"]
    return {
        "config": config,
        "requests": requests,
        "errors": load["errors"],
        "instructions": instructions,
        "per_request": instructions / max(requests, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--duration", type=int, default=40, help="seconds counted per proxy")
    parser.add_argument("--warmup", type=int, default=10, help="seconds before counting")
    parser.add_argument(
        "--configs", default=",".join(CONFIGS), help="subset of " + ",".join(CONFIGS)
    )
    args = parser.parse_args()
    configs = tuple(c for c in args.configs.split(",") if c)
    if "bare" not in configs or set(configs) - set(CONFIGS):
        parser.error(f"--configs: a subset of {','.join(CONFIGS)} that includes bare")
    missing = [tool for tool in ("valgrind", "callgrind_control", "wrk") if not shutil.which(tool)]
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if missing or not nginx:
        print(
            "missing: " + ", ".join(missing + ([] if nginx else ["nginx"])) + "; install with:\n"
            "  apt-get update && apt-get install -y valgrind wrk nginx-light",
            file=sys.stderr,
        )
        return 2

    workdir = Path(tempfile.mkdtemp(prefix="drift-bench-instr-"))
    (workdir / "nginx-tmp").mkdir()
    body = bp.bodies()
    lua = workdir / "mix.lua"
    lua.write_text(bp.WRK_LUA.replace("NEW_ORDER", body["new_order"]))
    bench = bp.Bench(
        argparse.Namespace(latency_duration=2, connections=4, threads=1),
        workdir,
        lua,
        upstream_port=bp.free_port(),
    )
    (workdir / "nginx.conf").write_text(bp.nginx_conf(workdir, bench.upstream_port, body))
    print(f"drift at {bp.git_head()}; {args.rounds} rounds of {args.duration} s per proxy")
    rows: list[dict[str, Any]] = []
    started = time.monotonic()
    try:
        bench.start_upstream(nginx)
        for round_no in range(1, args.rounds + 1):
            for config in configs:
                row = measure(bench, config, workdir, args)
                row["round"] = round_no
                rows.append(row)
                print(
                    f"round {round_no} {config:9}: {row['requests']:5} requests, "
                    f"{row['per_request'] / 1e6:7.3f} M instructions/request, "
                    f"{row['errors']} errors",
                    flush=True,
                )
    finally:
        for proc in reversed(bench.started):
            proc.stop(signal.SIGQUIT if proc.name == "nginx" else signal.SIGTERM)
        shutil.rmtree(workdir, ignore_errors=True)

    bare = {r["round"]: r["per_request"] for r in rows if r["config"] == "bare"}
    print("\ninstructions per request in the proxy process, median over rounds:")
    for config in configs:
        mine = [r for r in rows if r["config"] == config]
        per = statistics.median(r["per_request"] for r in mine)
        ratios = [r["per_request"] / bare[r["round"]] for r in mine]
        print(
            f"  {config:9} {per / 1e6:7.3f} M   ratio to bare {statistics.median(ratios):.4f} "
            f"[{min(ratios):.4f} .. {max(ratios):.4f}]   "
            f"=> expected throughput ratio {1 / statistics.median(ratios):.3f}"
        )
    errors = sum(r["errors"] for r in rows)
    print(f"wrk errors: {errors}; elapsed {time.monotonic() - started:.0f} s")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
