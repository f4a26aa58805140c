"""The contract model: operations, parameters, responses and drift's extensions, as values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from drift.core.contract.dialects import Dialect

__all__ = [
    "Content",
    "Contract",
    "Guarantees",
    "Operation",
    "Parameter",
    "Problem",
    "RequestBody",
    "Response",
    "SchemaRef",
]


class SchemaRef:
    """A schema as found in the document, plus what is needed to follow its `$ref`s lazily.

    Big contracts (Stripe's is 4 MB) are never normalised eagerly: compare only looks at the
    parts of schemas that traffic actually reached.
    """

    __slots__ = ("base_uri", "contents", "resolver")

    def __init__(self, contents: Any, resolver: Any, base_uri: str) -> None:
        self.contents = contents
        self.resolver = resolver  # a referencing.Resolver rooted at base_uri
        self.base_uri = base_uri

    def child(self, contents: Any) -> SchemaRef:
        """A schema nested inside this one (same document, same base for `$ref`s)."""
        return SchemaRef(contents, self.resolver, self.base_uri)

    @property
    def key(self) -> int:
        # Documents stay alive for the contract's lifetime, and one object lives in one file,
        # so identity is a sound memo key.
        return id(self.contents)

    def __repr__(self) -> str:
        return f"SchemaRef({self.base_uri!r}, id={id(self.contents):#x})"


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong in the contract that drift worked around (it loads what it can)."""

    file: str
    pointer: str
    message: str
    line: int | None = None

    def describe(self) -> str:
        where = self.file + (f":{self.line}" if self.line is not None else "")
        return f"{where} at {self.pointer or '/'!r}: {self.message}"


@dataclass(frozen=True, slots=True)
class Guarantees:
    """drift's extensions, read from the root and overridden per operation."""

    owner: str | None = None
    consumers: tuple[str, ...] | None = None  # None = not declared (any consumer is fine)
    stability: str | None = None
    latency: dict[str, float] | None = None  # percentile name -> milliseconds, e.g. {"p95": 200}
    rate_limit: dict[str, float] | None = None  # expected / peak / hard -> requests per second


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    location: str  # query, header, path, cookie
    required: bool = False
    deprecated: bool = False
    schema: SchemaRef | None = None
    # A free-form object parameter exploded into the query (`style: form, explode: true`)
    # lets consumers send any names; deepObject sends `name[key]`.
    any_names: bool = False
    style: str | None = None


@dataclass(frozen=True, slots=True)
class Content:
    media_type: str  # as declared, lower-cased, parameters dropped ("application/*", "*/*")
    schema: SchemaRef | None


@dataclass(frozen=True, slots=True)
class RequestBody:
    required: bool
    content: tuple[Content, ...]


@dataclass(frozen=True, slots=True)
class Response:
    status: str  # "200", "2XX", "default"
    content: tuple[Content, ...]


@dataclass(frozen=True, slots=True)
class Operation:
    method: str
    path: str
    operation_id: str | None
    parameters: tuple[Parameter, ...]
    request_body: RequestBody | None
    responses: dict[str, Response]
    guarantees: Guarantees
    deprecated: bool = False
    sunset: str | None = None  # ISO date string from x-sunset
    pointer: str = ""  # where the operation lives in the document, for messages
    # apiKey security schemes' parameter names, by location, usable by this operation.
    security_params: tuple[tuple[str, str], ...] = ()

    def response_for(self, status: int) -> Response | None:
        """Exact code first, then its range (`2XX`), then `default`."""
        exact = self.responses.get(str(status))
        if exact is not None:
            return exact
        ranged = self.responses.get(f"{status // 100}XX")
        if ranged is not None:
            return ranged
        return self.responses.get("default")


@dataclass(frozen=True, slots=True)
class Contract:
    service: str
    title: str
    openapi_version: str
    dialect: Dialect
    source: str
    base_paths: tuple[str, ...]
    operations: tuple[Operation, ...]
    guarantees: Guarantees
    problems: tuple[Problem, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
