"""Routing cost vs contract size: median ns per `Router.match` for small to large contracts.

Run: `.venv/bin/python benchmarks/bench_routing.py` (about 10 s).
"""

from __future__ import annotations

import json
import random
import re
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, uninstalled

from drift.core.routing import Router

GITHUB_SPEC = Path("/work/shared/corpus/specs/github__api.github.com-2022-06.no-remote-refs.json")
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
PATHS_PER_ROUTER = 20_000
ROUNDS = 7
PARAM = re.compile(r"\{[^{}/]*\}")
SUBRESOURCES = ("comments", "members", "events", "labels", "keys", "tags", "hooks", "items")


@dataclass
class Case:
    name: str
    operations: list[tuple[str, str, int]]
    requests: list[tuple[str, str]]
    router: Router[int]
    samples: list[float]


def synthetic_operations(count: int) -> list[tuple[str, str, int]]:
    """REST-shaped operations, five per resource so every size has the same path shapes."""
    ops: list[tuple[str, str, int]] = []
    resource = 0
    while len(ops) < count:
        r = f"/resource{resource}"
        sub = SUBRESOURCES[resource % len(SUBRESOURCES)]
        block = [
            ("GET", r),
            ("GET", f"{r}/{{id}}"),
            ("GET", f"{r}/me"),
            ("POST", f"{r}/{{id}}/{sub}"),
            ("DELETE", f"{r}/{{id}}/{sub}/{{{sub}_id}}"),
        ]
        ops.extend((m, t, len(ops) + i) for i, (m, t) in enumerate(block))
        resource += 1
    return ops[:count]


def github_operations() -> list[tuple[str, str, int]] | None:
    if not GITHUB_SPEC.exists():
        return None
    with GITHUB_SPEC.open() as f:
        paths = json.load(f)["paths"]
    ops: list[tuple[str, str, int]] = []
    for template, item in paths.items():
        for method in item:
            if method in HTTP_METHODS:
                ops.append((method.upper(), template, len(ops)))
    return ops


def concrete_requests(ops: list[tuple[str, str, int]], rng: random.Random) -> list[tuple[str, str]]:
    """Mostly declared operations; 5% undeclared methods and 5% unknown paths."""
    requests = []
    for _ in range(PATHS_PER_ROUTER):
        method, template, _target = rng.choice(ops)
        path = PARAM.sub(lambda _m: str(rng.randrange(1, 10**6)), template)
        roll = rng.random()
        if roll < 0.05:
            method = "OPTIONS"
        elif roll < 0.10:
            path = f"/unknown{rng.randrange(100)}{path}"
        requests.append((method, path))
    return requests


def time_round(case: Case) -> float:
    match = case.router.match
    start = time.perf_counter_ns()
    for method, path in case.requests:
        match(method, path)
    return (time.perf_counter_ns() - start) / len(case.requests)


def build_cases() -> list[Case]:
    rng = random.Random(20240131)
    named = [(f"synthetic-{n}", synthetic_operations(n)) for n in (5, 50, 800, 2000)]
    github = github_operations()
    if github is not None:
        named.append(("github-api", github))
    return [Case(name, ops, concrete_requests(ops, rng), Router(ops), []) for name, ops in named]


def main() -> None:
    cases = build_cases()
    for _ in range(ROUNDS):
        for case in cases:  # interleaved so drift in machine load hits every router alike
            case.samples.append(time_round(case))
    baseline = statistics.median(cases[0].samples)
    print(
        f"{'router':<16}{'operations':>11}{'avg segments':>14}{'median ns/match':>17}{'ratio':>7}"
    )
    for case in cases:
        median = statistics.median(case.samples)
        depth = statistics.mean(path.count("/") for _m, path in case.requests)
        print(
            f"{case.name:<16}{len(case.operations):>11}{depth:>14.2f}"
            f"{median:>17.0f}{median / baseline:>7.2f}"
        )


if __name__ == "__main__":
    main()
