"""Instructions per request: bare `mitmdump` vs `drift proxy`, counted by valgrind's callgrind.

`bench_proxy.py` measures throughput and CPU time, which a shared 2-core machine blurs by
±10% from one 8-second slice to the next. Instruction counts do not depend on what else the
machine runs, so they resolve the proxy's own cost to well under 1%:

* the same nginx upstream and `wrk` traffic mix as `bench_proxy.py` (four consumers, ~1.5 KB
  JSON bodies, 7% POSTs), through each configuration in turn: `bare` mitmdump, `drift proxy`
  (default sampling), `drift proxy --sample-all`, `master` (mitmproxy run exactly as `drift
  proxy` runs it, without drift's addon: `drift proxy` against `master` is the addon's own
  cost), and `addon-all`, drift's addon loaded into plain mitmdump with `-s` (which adds
  mitmproxy's script-loader overhead on every event);
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

CONFIGS = ("bare", "master", "empty-addon", "drift", "drift-all", "addon-all")
# `master`: mitmproxy run exactly as `drift proxy` runs it (drift/edges/proxy/run.py: a
# DumpMaster without mitmdump's console addons), minus drift's addon; `empty-addon`: the same
# with an addon whose `response` hook does nothing.
MASTER = """
import asyncio, signal, sys
from mitmproxy import options
from mitmproxy.tools.dump import DumpMaster

class Empty:
    def response(self, flow):
        pass

async def main():
    opts = options.Options(mode=[sys.argv[1]], listen_host="127.0.0.1", listen_port=int(sys.argv[2]))
    master = DumpMaster(opts, with_termlog=False, with_dumper=False)
    if sys.argv[3:] == ["empty"]:
        master.addons.add(Empty())
    master.options.update(stream_large_bodies="8m")
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, master.shutdown)
    await master.run()

asyncio.run(main())
"""
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
    elif config in ("master", "empty-addon"):
        script = workdir / "master.py"
        script.write_text(MASTER)
        cmd = [str(script), f"reverse:{upstream}", str(port)]
        if config == "empty-addon":  # what any addon costs: mitmproxy dispatches every event
            cmd.append("empty")
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
        time.sleep(2)  # let the warm-up's tail settle
        # Idle first: what runs on timers (mitmproxy's, drift's shipping and counters threads)
        # costs per second, not per request; under valgrind requests are ~60x slower, so it
        # would weigh ~60x more per request than in production. Measured, then taken out.
        control("-i", "on", str(proc.pid))
        idle_started = time.monotonic()
        time.sleep(args.idle)
        control("-i", "off", str(proc.pid))
        idle_seconds = time.monotonic() - idle_started
        control("-d", str(proc.pid))
        idle = totals(latest(workdir, config, port))
        control("-z", str(proc.pid))
        control("-i", "on", str(proc.pid))
        load_started = time.monotonic()
        load = bench.wrk(port, args.duration, 4, 1)
        control("-i", "off", str(proc.pid))
        load_seconds = time.monotonic() - load_started
        control("-d", str(proc.pid))
        instructions = totals(latest(workdir, config, port))
    finally:
        proc.stop(signal.SIGTERM, timeout=120)
    requests = max(load["requests"], 1)
    idle_rate = idle / idle_seconds
    return {
        "config": config,
        "requests": requests,
        "errors": load["errors"],
        "instructions": instructions,
        "per_request": instructions / requests,
        "idle_per_second": idle_rate,
        "per_request_net": (instructions - idle_rate * load_seconds) / requests,
    }


def latest(workdir: Path, config: str, port: int) -> Path:
    dumps = sorted(workdir.glob(f"callgrind.{config}.{port}*"), key=lambda p: p.stat().st_mtime)
    return dumps[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--duration", type=int, default=40, help="seconds counted per proxy")
    parser.add_argument("--warmup", type=int, default=10, help="seconds before counting")
    parser.add_argument("--idle", type=int, default=10, help="seconds counted with no traffic")
    parser.add_argument(
        "--configs", default=",".join(CONFIGS), help="subset of " + ",".join(CONFIGS)
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the callgrind files (for callgrind_annotate)"
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
                    f"round {round_no} {config:11}: {row['requests']:5} requests, "
                    f"{row['per_request'] / 1e6:7.3f} M instructions/request, "
                    f"{row['errors']} errors",
                    flush=True,
                )
    finally:
        bench.cleanup(keep=args.keep)

    base = "master" if "master" in configs else "bare"
    print(
        "\ninstructions per request in the proxy process (median over rounds); `net` leaves out"
        "\nwhat timers cost while idle (instructions per second, measured with no traffic):"
    )
    for key, label in (("per_request", "gross"), ("per_request_net", "net")):
        for against in dict.fromkeys(("bare", base)):
            ref = {r["round"]: r[key] for r in rows if r["config"] == against}
            print(f"  {label}, against {against}:")
            for config in configs:
                mine = [r for r in rows if r["config"] == config]
                ratios = [r[key] / ref[r["round"]] for r in mine]
                median = statistics.median(ratios)
                print(
                    f"    {config:11} {statistics.median(r[key] for r in mine) / 1e6:7.3f} M  "
                    f"ratio {median:.4f} [{min(ratios):.4f} .. {max(ratios):.4f}]  "
                    f"=> throughput ratio {1 / median:.3f}"
                )
    for config in configs:
        idle = statistics.median(r["idle_per_second"] for r in rows if r["config"] == config)
        print(f"  idle {config:11} {idle / 1e6:8.2f} M instructions/s")
    errors = sum(r["errors"] for r in rows)
    print(f"wrk errors: {errors}; elapsed {time.monotonic() - started:.0f} s")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
