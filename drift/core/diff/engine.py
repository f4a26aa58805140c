"""`diff_contracts(old, new) -> changes`: pure; one small rule module per change family."""

from __future__ import annotations

from drift.core.contract.model import Contract, Operation
from drift.core.contract.schema import SchemaIndex
from drift.core.diff.bodies import request_body_changes
from drift.core.diff.change import Change, sort_key
from drift.core.diff.operations import added_operation, lifecycle_changes, removed_operation
from drift.core.diff.parameters import parameter_changes
from drift.core.diff.paths import template_shape
from drift.core.diff.responses import response_changes
from drift.core.diff.schemas import SchemaDiffer

__all__ = ["diff_contracts", "operations_by_shape"]


def operations_by_shape(contract: Contract) -> dict[tuple[str, str], Operation]:
    """Operations keyed by (METHOD, template shape); the first of two same-shaped paths wins."""
    out: dict[tuple[str, str], Operation] = {}
    for op in contract.operations:
        out.setdefault((op.method.upper(), template_shape(op.path)), op)
    return out


def diff_contracts(old: Contract, new: Contract) -> list[Change]:
    """Every difference between two versions, classified for consumers of `old`, worst first."""
    before, after = operations_by_shape(old), operations_by_shape(new)
    old_index, new_index = SchemaIndex(), SchemaIndex()
    requests = SchemaDiffer(old_index, new_index, "request")
    responses = SchemaDiffer(old_index, new_index, "response")
    changes: list[Change] = []
    for key in sorted(set(before) | set(after)):
        was, now = before.get(key), after.get(key)
        if now is None:
            assert was is not None
            changes.append(removed_operation(was))
        elif was is None:
            changes.append(added_operation(now))
        else:
            changes += lifecycle_changes(was, now)
            changes += parameter_changes(was, now, requests)
            changes += request_body_changes(was, now, requests)
            changes += response_changes(was, now, responses)
    return sorted(changes, key=sort_key)
