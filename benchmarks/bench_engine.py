"""Engine throughput: exchanges/second through routing + inference, and compare cost.

Runs on the shared corpus (six real contracts with recorded traffic) when ../shared exists, else
on the shipped Orders example. Each HAR is read once; its exchanges are replayed `--repeat`
times with a rotating consumer so observations look like a busy service. Prints medians over
`--rounds` rounds, interleaving the corpora.

    .venv/bin/python benchmarks/bench_engine.py [--repeat 20] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from drift.core.compare import compare  # noqa: E402
from drift.core.observe import Observer  # noqa: E402
from drift.edges.contracts import load_contract  # noqa: E402
from drift.edges.har import read_har  # noqa: E402
from tests.conftest import CORPUS, CORPUS_PAIRS  # noqa: E402  (one list of the corpus's pairs)

LARGE_SPECS = ("stripe__spec3-2023-09.yaml", "github__api.github.com-2022-06.no-remote-refs.json")
CONSUMERS = ("web", "billing", "mobile", "reporting")


def cases() -> list[tuple[str, Path, Path]]:
    if CORPUS.is_dir():
        return [
            (n, CORPUS / "specs" / s, CORPUS / "traffic" / f"{n}.har")
            for n, s in CORPUS_PAIRS.items()
        ]
    ex = ROOT / "config" / "examples" / "orders"
    return [("orders-example", ex / "openapi.yaml", ex / "traffic.har")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    now = datetime.now(UTC)
    loaded = []
    for name, spec, har in cases():
        t0 = time.perf_counter()
        contract = load_contract(spec)
        t1 = time.perf_counter()
        exchanges = read_har(har).exchanges
        t2 = time.perf_counter()
        stream = [
            replace(e, consumer=CONSUMERS[i % len(CONSUMERS)])
            for i in range(args.repeat)
            for e in exchanges
        ]
        loaded.append((name, contract, stream, t1 - t0, (t2 - t1) / max(len(exchanges), 1)))
    observe_rates: dict[str, list[float]] = {n: [] for n, *_ in loaded}
    compare_ms: dict[str, list[float]] = {n: [] for n, *_ in loaded}
    for _ in range(args.rounds):
        for name, contract, stream, _, _ in loaded:
            observer = Observer(contract)
            t0 = time.perf_counter()
            for exchange in stream:
                observer.add(exchange)
            observations = observer.snapshot()
            t1 = time.perf_counter()
            compare(contract, observations, now=now)
            t2 = time.perf_counter()
            observe_rates[name].append(len(stream) / (t1 - t0))
            compare_ms[name].append((t2 - t1) * 1000)
    print(
        f"{'corpus':18} {'ops':>5} {'exchanges':>9} {'load ms':>8} {'HAR µs/ex':>9} "
        f"{'observe ex/s':>12} {'compare ms':>10} {'end-to-end ex/s':>15}"
    )
    total_ex = total_s = 0.0
    for name, contract, stream, load_s, har_s in loaded:
        rate = statistics.median(observe_rates[name])
        cmp_ms = statistics.median(compare_ms[name])
        e2e = len(stream) / (len(stream) / rate + cmp_ms / 1000)
        total_ex += len(stream)
        total_s += len(stream) / rate + cmp_ms / 1000
        print(
            f"{name:18} {len(contract.operations):5} {len(stream):9} {load_s * 1000:8.1f} "
            f"{har_s * 1e6:9.1f} {rate:12,.0f} {cmp_ms:10.1f} {e2e:15,.0f}"
        )
    print(
        f"overall: {total_ex:,.0f} exchanges, {total_ex / total_s:,.0f} exchanges/s through "
        f"inference + compare (median of {args.rounds} rounds)"
    )
    large = [CORPUS / "specs" / n for n in LARGE_SPECS if (CORPUS / "specs" / n).is_file()]
    for spec in large:  # big real contracts: loading (YAML vs JSON) is the cost that grows
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            contract = load_contract(spec)
            times.append(time.perf_counter() - t0)
        print(
            f"load {spec.name}: {spec.stat().st_size / 1e6:.1f} MB, "
            f"{len(contract.operations)} operations, {statistics.median(times):.2f} s "
            "(median of 3)"
        )


if __name__ == "__main__":
    main()
