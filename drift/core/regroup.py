"""Fold undeclared paths from many sources into shared inferred templates.

Each sidecar templates undeclared paths with what it saw in one flush window; a segment may only
show its high cardinality across windows or sidecars. Re-templating the union fixes that.
"""

from __future__ import annotations

from collections.abc import Mapping

from drift.core.observation import Observation, ObservationKey
from drift.core.templating import PathTemplater

__all__ = ["regroup_undeclared"]


def regroup_undeclared(
    observations: Mapping[ObservationKey, Observation], *, max_literals: int = 20
) -> dict[ObservationKey, Observation]:
    templater = PathTemplater(max_literals=max_literals)
    for key in observations:
        if not key.declared:
            templater.add(key.path)
    out: dict[ObservationKey, Observation] = {}
    for key, obs in observations.items():
        if not key.declared:
            template = templater.template(key.path)
            key = ObservationKey(key.service, key.method, template, False, key.consumer, key.status)
        held = out.get(key)
        out[key] = held.merge(obs) if held is not None else obs
    return out
