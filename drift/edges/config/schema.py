"""The config's JSON Schema: validation into helpful `Issue`s, defaults, and the list of keys.

The schema (`drift/schemas/config.schema.json`) is the single source of truth for keys, types
and defaults. A few of its subschemas carry an `x-error` message template (`{value!r}` is the
offending value) used instead of jsonschema's generic wording.
"""

from __future__ import annotations

import copy
import difflib
import json
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker  # type: ignore[import-untyped]

from drift.core.pointer import join
from drift.edges.config.issues import Issue
from drift.edges.config.units import cron_trigger, parse_expiry, parse_timezone

__all__ = ["config_schema", "schema_issues", "schema_keys", "with_defaults"]

_MAX_SHOWN = 60  # longer values are cut in messages
_FORMATS = FormatChecker(formats=())
_TYPES = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "number": "a number",
    "integer": "an integer",
    "boolean": "true or false",
    "null": "null",
}


def _is_cron(value: object) -> bool:
    if isinstance(value, str):
        cron_trigger(value)
    return True


def _is_timezone(value: object) -> bool:
    if isinstance(value, str):
        parse_timezone(value)
    return True


def _is_date(value: object) -> bool:
    if isinstance(value, str):
        parse_expiry(value)
    return True


_FORMATS.checks("cron", raises=ValueError)(_is_cron)
_FORMATS.checks("timezone", raises=ValueError)(_is_timezone)
_FORMATS.checks("date-or-datetime", raises=ValueError)(_is_date)


@cache
def config_schema() -> dict[str, Any]:
    """The config schema document (do not mutate)."""
    text = resources.files("drift").joinpath("schemas", "config.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _validator() -> Any:
    return Draft202012Validator(config_schema(), format_checker=_FORMATS)


def _resolve(schema: Any) -> Any:
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
        name = schema["$ref"].removeprefix("#/$defs/")
        schema = config_schema()["$defs"][name]
    return schema


def _object_branches(schema: Any) -> list[dict[str, Any]]:
    """The (resolved) object schemas among `schema` and its `anyOf` branches."""
    schema = _resolve(schema)
    if not isinstance(schema, dict):
        return []
    found = [schema] if "properties" in schema or "additionalProperties" in schema else []
    for branch in schema.get("anyOf", ()):
        found.extend(_object_branches(branch))
    return found


# -- defaults ------------------------------------------------------------------------------------


def _fill(schema: Any, value: Any) -> Any:
    if isinstance(value, dict):
        for branch in _object_branches(schema):
            for name, sub in branch.get("properties", {}).items():
                if name not in value and sub.get("default") is not None:
                    value[name] = copy.deepcopy(sub["default"])
                if name in value:
                    value[name] = _fill(sub, value[name])
            extra = branch.get("additionalProperties")
            if isinstance(extra, dict):
                for name in value:
                    if name not in branch.get("properties", {}):
                        value[name] = _fill(extra, value[name])
    elif isinstance(value, list):
        items = _resolve(schema).get("items") if isinstance(_resolve(schema), dict) else None
        if isinstance(items, dict):
            return [_fill(items, item) for item in value]
    return value


def with_defaults(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of a valid document with every absent key that has a non-null default filled in."""
    filled: dict[str, Any] = _fill(config_schema(), copy.deepcopy(document))
    return filled


# -- keys ----------------------------------------------------------------------------------------


def schema_keys() -> list[str]:
    """Every key as a dotted path: `schedule.review.every`, `services[].contract`,
    `owners.<name>.team` (for docs and tests)."""
    keys: list[str] = []

    def walk(schema: Any, prefix: str) -> None:
        schema = _resolve(schema)
        if not isinstance(schema, dict):
            return
        for branch in _object_branches(schema):
            for name, sub in branch.get("properties", {}).items():
                path = f"{prefix}.{name}" if prefix else name
                if path not in keys:
                    keys.append(path)
                walk(sub, path)
            extra = branch.get("additionalProperties")
            if isinstance(extra, dict) and _object_branches(extra):
                walk(extra, f"{prefix}.<name>")
        if isinstance(schema.get("items"), dict):
            walk(schema["items"], f"{prefix}[]")

    walk(config_schema(), "")
    return keys


# -- validation ----------------------------------------------------------------------------------


def _shown(value: Any) -> Any:
    if isinstance(value, str) and len(value) > _MAX_SHOWN:
        return value[: _MAX_SHOWN - 1] + "…"
    return value


def _kind_of(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(_shown(value))


def _suggest(word: str, choices: list[str]) -> str | None:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


def _null_hint(pointer: str) -> str:
    if pointer.rsplit("/", 1)[-1].endswith("channel"):
        return 'in YAML, # starts a comment: quote the channel, e.g. "#api-drift"'
    return "give a value, or remove the key to get its default"


def _unknown_keys(error: Any, at: str) -> list[Issue]:
    allowed = list(error.schema.get("properties", {}))
    issues = []
    for key in error.instance:
        if key in allowed:
            continue
        hint = _suggest(str(key), allowed) or (
            f"valid keys here: {', '.join(allowed)}" if allowed else None
        )
        issues.append(Issue(join(at, key), f"unknown key {str(key)!r}", hint))
    return issues


def _missing(error: Any, at: str) -> list[Issue]:
    properties = error.schema.get("properties", {})
    return [
        Issue(at, f"missing required key {name!r}", properties.get(name, {}).get("description"))
        for name in error.validator_value
        if isinstance(error.instance, dict) and name not in error.instance
    ]


def _requireds(branches: list[Any]) -> list[str] | None:
    """The key names when every branch is just `{required: [name]}`."""
    names = [b["required"][0] for b in branches if list(b) == ["required"] and b["required"]]
    return names if len(names) == len(branches) else None


def _any_of(error: Any, at: str) -> list[Issue]:
    names = _requireds(error.validator_value)
    if names is not None:
        return [Issue(at, f"needs one of {' or '.join(map(repr, names))}")]
    nulls = {i for i, b in enumerate(error.validator_value) if b == {"type": "null"}}
    if nulls:
        issues = []
        for sub in error.context:
            if sub.relative_schema_path[0] not in nulls:
                issues.extend(_convert(sub))
        return issues
    return [Issue(at, error.message)]


def _generic(error: Any, value: Any) -> str:
    keyword, limit = error.validator, error.validator_value
    if keyword == "minimum":
        return f"{value!r} is too small: the least allowed is {limit}"
    if keyword == "exclusiveMinimum":
        return f"{value!r} is too small: it must be more than {limit}"
    if keyword in ("minLength", "minProperties") or (keyword == "minItems" and limit == 1):
        return "must not be empty"
    if keyword == "minItems":
        return f"needs at least {limit} items"
    if keyword == "uniqueItems":
        items = list(error.instance)
        twice = next((v for i, v in enumerate(items) if v in items[:i]), None)
        return f"lists {_shown(twice)!r} more than once"
    if keyword == "pattern":
        return f"{value!r} does not have the expected form ({limit})"
    if keyword == "enum":
        return f"{value!r} is not one of {', '.join(map(str, limit))}"
    return str(error.message)


def _convert(error: Any) -> list[Issue]:
    at = join("", *error.absolute_path)
    keyword, value, schema = error.validator, _shown(error.instance), error.schema
    if "propertyNames" in error.absolute_schema_path:
        at = join(at, error.instance)
    if keyword == "additionalProperties" and schema.get("additionalProperties") is False:
        return _unknown_keys(error, at)
    if keyword == "required":
        return _missing(error, at)
    if keyword == "anyOf":
        return _any_of(error, at)
    if keyword == "not" and list(error.validator_value) == ["required"]:
        names = " and ".join(map(repr, error.validator_value["required"]))
        return [Issue(at, f"{names} exclude each other: give only one")]
    if keyword == "type":
        expected = error.validator_value
        types = expected if isinstance(expected, list) else [expected]
        wanted = " or ".join(_TYPES.get(str(t), str(t)) for t in types)
        hint = _null_hint(at) if error.instance is None else None
        return [Issue(at, f"expected {wanted}, got {_kind_of(error.instance)}", hint)]
    if keyword == "format":
        return [Issue(at, str(error.cause) if error.cause else str(error.message))]
    template = schema.get("x-error") if isinstance(schema, dict) else None
    message = template.format(value=value) if template else _generic(error, value)
    hint = None
    if keyword == "enum" and isinstance(error.instance, str):
        hint = _suggest(error.instance, [str(v) for v in error.validator_value])
    return [Issue(at, message, hint)]


def schema_issues(document: Any) -> list[Issue]:
    """Every way `document` breaks the schema, as issues without line numbers (deduplicated)."""
    issues: list[Issue] = []
    for error in _validator().iter_errors(document):
        for issue in _convert(error):
            if issue not in issues:
                issues.append(issue)
    return issues
