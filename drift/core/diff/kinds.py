"""The closed set of change kinds `drift diff` reports, each with its fixed category.

Kind names are stable identifiers (part of drift's public contract, like finding kinds). The
category is the *static* classification — comparable with oasdiff's and Optic's — for a
consumer written against the old contract. Observed traffic never changes a category; it adds
the consumers each change would hit (`impact`).

Choices where the tools differ or the brief left it open:

- `request.parameter.removed` and `request.property.removed` are non-breaking (Optic; oasdiff
  only warns): the consumer's request stays valid. The impact still lists who sends it. A
  property removed from a *closed* request schema (`additionalProperties: false`) is
  `request.property.rejected`, breaking: sending it now fails validation.
- `response.enum.value-added` is breaking (Optic; oasdiff warns): strict consumers with an
  exhaustive switch fail on the new value. Dropping a response enum altogether is reported
  under the same kind (`new` is null).
- A type or format that changed (neither wider nor narrower) is reported under the kind that
  breaks for that direction: `request.type.narrowed`, `response.type.widened`.
- `nullable` is compared apart from the other types: `response.nullable.added` and
  `request.nullable.removed` break, their opposites do not.
- A status, media type or property that disappears but is still covered (`2XX`, `default`,
  `application/*`) is compared with what covers it, not reported as removed.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BREAKING",
    "CATEGORIES",
    "CHANGE_KINDS",
    "DEPRECATION",
    "NON_BREAKING",
    "ChangeKind",
    "category_rank",
]

BREAKING = "breaking"
DEPRECATION = "deprecation"
NON_BREAKING = "non-breaking"
CATEGORIES = (BREAKING, DEPRECATION, NON_BREAKING)  # display order, worst first
_RANK = {NON_BREAKING: 1, DEPRECATION: 2, BREAKING: 3}


def category_rank(category: str) -> int:
    """non-breaking 1 < deprecation 2 < breaking 3."""
    return _RANK[category]


@dataclass(frozen=True, slots=True)
class ChangeKind:
    name: str
    category: str
    summary: str
    # the closest oasdiff check id (oasdiff folds format changes into its type checks, and
    # splits property removal into required / optional), for people comparing the tools
    oasdiff: str


_B, _D, _N = BREAKING, DEPRECATION, NON_BREAKING


def _kinds(*kinds: ChangeKind) -> dict[str, ChangeKind]:
    return {k.name: k for k in kinds}


CHANGE_KINDS: dict[str, ChangeKind] = _kinds(
    # -- operations -------------------------------------------------------------------------
    ChangeKind("operation.removed", _B, "operation removed", "api-removed-without-deprecation"),
    ChangeKind("operation.added", _N, "operation added", "endpoint-added"),
    ChangeKind("operation.deprecated", _D, "operation marked deprecated", "endpoint-deprecated"),
    ChangeKind(
        "operation.sunset-added", _D, "x-sunset date set", "endpoint-deprecated-with-sunset"
    ),
    ChangeKind(
        "operation.sunset-changed", _D, "x-sunset date moved", "api-sunset-date-changed-too-small"
    ),
    # -- request parameters (query, header, cookie, path) ------------------------------------
    ChangeKind(
        "request.parameter.required-added",
        _B,
        "new required parameter",
        "new-required-request-parameter",
    ),
    ChangeKind(
        "request.parameter.optional-added",
        _N,
        "new optional parameter",
        "new-optional-request-parameter",
    ),
    ChangeKind(
        "request.parameter.removed",
        _N,
        "parameter removed (requests that send it stay valid)",
        "request-parameter-removed",
    ),
    ChangeKind(
        "request.parameter.became-required",
        _B,
        "optional parameter became required",
        "request-parameter-became-required",
    ),
    ChangeKind(
        "request.parameter.became-optional",
        _N,
        "required parameter became optional",
        "request-parameter-became-optional",
    ),
    ChangeKind(
        "request.parameter.deprecated",
        _D,
        "parameter marked deprecated",
        "request-parameter-deprecated",
    ),
    # -- request body -----------------------------------------------------------------------
    ChangeKind(
        "request.body.became-required",
        _B,
        "request body became required (or a required body was added)",
        "request-body-became-required",
    ),
    ChangeKind(
        "request.body.became-optional",
        _N,
        "request body became optional",
        "request-body-became-optional",
    ),
    ChangeKind(
        "request.media-type.removed",
        _B,
        "request media type no longer accepted",
        "request-body-media-type-removed",
    ),
    ChangeKind(
        "request.media-type.added",
        _N,
        "request media type added",
        "request-body-media-type-added",
    ),
    # -- request schemas (bodies and parameter values) ----------------------------------------
    ChangeKind(
        "request.property.required-added",
        _B,
        "new required request property",
        "new-required-request-property",
    ),
    ChangeKind(
        "request.property.optional-added",
        _N,
        "new optional request property",
        "new-optional-request-property",
    ),
    ChangeKind(
        "request.property.removed",
        _N,
        "request property removed from an open schema (still accepted)",
        "request-property-removed",
    ),
    ChangeKind(
        "request.property.rejected",
        _B,
        "request property removed from a closed schema (additionalProperties: false)",
        "request-property-removed",
    ),
    ChangeKind(
        "request.property.became-required",
        _B,
        "optional request property became required",
        "request-property-became-required",
    ),
    ChangeKind(
        "request.property.became-optional",
        _N,
        "required request property became optional",
        "request-property-became-optional",
    ),
    ChangeKind(
        "request.property.deprecated",
        _D,
        "request property marked deprecated",
        "request-property-deprecated",
    ),
    ChangeKind(
        "request.type.narrowed",
        _B,
        "request value type narrowed or changed (a type once accepted is not)",
        "request-property-type-changed",
    ),
    ChangeKind(
        "request.type.widened",
        _N,
        "request value type widened",
        "request-property-type-generalized",
    ),
    ChangeKind(
        "request.nullable.removed",
        _B,
        "request value no longer accepts null",
        "request-property-became-not-nullable",
    ),
    ChangeKind(
        "request.nullable.added",
        _N,
        "request value now accepts null",
        "request-property-became-nullable",
    ),
    ChangeKind(
        "request.enum.value-removed",
        _B,
        "request enum value removed (or an enum now restricts the value)",
        "request-property-enum-value-removed",
    ),
    ChangeKind(
        "request.enum.value-added",
        _N,
        "request enum value added (or the enum dropped)",
        "request-property-enum-value-added",
    ),
    ChangeKind(
        "request.format.narrowed",
        _B,
        "request value format added or changed",
        "request-property-type-changed",
    ),
    ChangeKind(
        "request.format.widened",
        _N,
        "request value format removed",
        "request-property-type-changed",
    ),
    # -- responses --------------------------------------------------------------------------
    ChangeKind(
        "response.status.removed",
        _B,
        "response status removed (and not covered by a range or default)",
        "response-success-status-removed",
    ),
    ChangeKind(
        "response.status.added",
        _N,
        "response status added (consumers may need to handle it)",
        "response-success-status-added",
    ),
    ChangeKind(
        "response.media-type.removed",
        _B,
        "response media type removed",
        "response-media-type-removed",
    ),
    ChangeKind(
        "response.media-type.added",
        _N,
        "response media type added",
        "response-media-type-added",
    ),
    ChangeKind(
        "response.property.removed",
        _B,
        "response property removed",
        "response-required-property-removed",
    ),
    ChangeKind(
        "response.property.added",
        _N,
        "response property added",
        "response-optional-property-added",
    ),
    ChangeKind(
        "response.property.became-optional",
        _B,
        "required response property became optional (may be absent)",
        "response-property-became-optional",
    ),
    ChangeKind(
        "response.property.became-required",
        _N,
        "optional response property became required",
        "response-property-became-required",
    ),
    ChangeKind(
        "response.property.deprecated",
        _D,
        "response property marked deprecated",
        "response-property-deprecated",
    ),
    ChangeKind(
        "response.type.widened",
        _B,
        "response value type widened or changed (may carry a type it did not)",
        "response-property-type-changed",
    ),
    ChangeKind(
        "response.type.narrowed",
        _N,
        "response value type narrowed",
        "response-property-type-specialized",
    ),
    ChangeKind(
        "response.nullable.added",
        _B,
        "response value may now be null",
        "response-property-became-nullable",
    ),
    ChangeKind(
        "response.nullable.removed",
        _N,
        "response value is no longer null",
        "response-property-became-not-nullable",
    ),
    ChangeKind(
        "response.enum.value-added",
        _B,
        "response enum value added (or the enum dropped): strict consumers break",
        "response-property-enum-value-added",
    ),
    ChangeKind(
        "response.enum.value-removed",
        _N,
        "response enum value removed (or an enum now restricts the value)",
        "response-property-enum-value-removed",
    ),
    ChangeKind(
        "response.format.widened",
        _B,
        "response value format removed or changed",
        "response-property-type-changed",
    ),
    ChangeKind(
        "response.format.narrowed",
        _N,
        "response value format added",
        "response-property-type-changed",
    ),
)
