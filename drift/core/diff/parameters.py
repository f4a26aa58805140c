"""Parameter rules (query, header, cookie, path): added, removed, required, deprecated, schema.

Parameters are matched by location and name (header names case-insensitively); path variables
by their position in the template, so renaming `{id}` to `{userId}` is no change.
"""

from __future__ import annotations

from drift.core.contract.model import Operation, Parameter
from drift.core.diff.change import Change, make_change
from drift.core.diff.paths import param_slots
from drift.core.diff.schemas import SchemaDiffer
from drift.core.pointer import join

__all__ = ["parameter_changes"]


def _by_key(op: Operation) -> dict[tuple[str, str], Parameter]:
    slots = param_slots(op.path)
    out: dict[tuple[str, str], Parameter] = {}
    for p in op.parameters:
        if p.location == "path":
            name = slots.get(p.name, p.name)
        else:
            name = p.name.lower() if p.location == "header" else p.name
        out.setdefault((p.location, name), p)
    return out


def _change(kind: str, op: Operation, p: Parameter, message: str, **values: object) -> Change:
    return make_change(
        kind,
        method=op.method,
        path=op.path,
        location=f"request.{p.location}",
        pointer=join("", p.name),
        message=message,
        old=values.get("old"),
        new=values.get("new"),
    )


def parameter_changes(old: Operation, new: Operation, differ: SchemaDiffer) -> list[Change]:
    before, after = _by_key(old), _by_key(new)
    out: list[Change] = []
    for key in sorted(set(before) | set(after)):
        was, now = before.get(key), after.get(key)
        if now is None:
            assert was is not None
            what = f"{was.location} parameter `{was.name}`"
            state = "required" if was.required else "optional"
            message = f"{what} removed"
            out.append(_change("request.parameter.removed", old, was, message, old=state))
            continue
        what = f"{now.location} parameter `{now.name}`"
        if was is None:
            kind = (
                "request.parameter.required-added"
                if now.required
                else "request.parameter.optional-added"
            )
            state = "required" if now.required else "optional"
            out.append(_change(kind, old, now, f"new {state} {what}", new=state))
            continue
        if now.required != was.required:
            kind = (
                "request.parameter.became-required"
                if now.required
                else "request.parameter.became-optional"
            )
            states = ("required", "optional") if now.required else ("optional", "required")
            message = f"{what} became {states[0]}"
            out.append(_change(kind, old, was, message, old=states[1], new=states[0]))
        if now.deprecated and not was.deprecated:
            out.append(
                _change("request.parameter.deprecated", old, was, f"{what} deprecated", new=True)
            )
        refs_old = [was.schema] if was.schema is not None else []
        refs_new = [now.schema] if now.schema is not None else []
        for delta in differ.diff(refs_old, refs_new):
            out.append(
                make_change(
                    delta.kind,
                    method=old.method,
                    path=old.path,
                    location=f"request.{now.location}",
                    pointer=join("", was.name) + delta.pointer,
                    old=delta.old,
                    new=delta.new,
                    message=f"{what}: {delta.message}",
                )
            )
    return out
