"""Build a `Contract` from parsed OpenAPI documents: lenient, recording what it had to skip.

Input is data only (the edge reads files and hands over every document a `$ref` reaches), so
this module stays pure. Swagger 2.0 is converted first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from referencing import Registry, Resource

from drift.core.contract.dialects import dialect_for
from drift.core.contract.extensions import parse_guarantees
from drift.core.contract.lint import lint_schemas
from drift.core.contract.model import (
    Content,
    Contract,
    Guarantees,
    Operation,
    Parameter,
    Problem,
    RequestBody,
    Response,
    SchemaRef,
)
from drift.core.pointer import join
from drift.errors import ContractError

__all__ = ["METHODS", "build_contract", "normalise_media_type", "service_name"]

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_STATUS = re.compile(r"^[1-5](?:\d\d|XX)$")


def normalise_media_type(value: str) -> str:
    return value.split(";", 1)[0].strip().lower()


def service_name(title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return slug or "service"


class _Builder:
    def __init__(self, documents: Mapping[str, Any], root_uri: str, source: str) -> None:
        self.root_uri = root_uri
        self.source = source
        self.problems: list[Problem] = []
        registry: Registry[Any] = Registry().with_resources(
            (uri, Resource.opaque(doc)) for uri, doc in documents.items()
        )
        self.resolver = registry.resolver(root_uri)

    def problem(self, pointer: str, message: str) -> None:
        self.problems.append(Problem(self.source, pointer, message))

    def deref(self, node: Any, pointer: str) -> Any:
        """Follow a `$ref` on a non-schema object (parameter, response, path item)."""
        for _ in range(32):
            if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
                return node
            ref = node["$ref"]
            try:
                node = self.resolver.lookup(ref).contents
            except Exception:
                self.problem(
                    pointer, f"cannot resolve $ref {ref!r}; fix the reference or add the file"
                )
                return None
        self.problem(pointer, "$ref chain too long (a cycle?)")
        return None

    def schema(self, node: Any) -> SchemaRef | None:
        return None if node is None else SchemaRef(node, self.resolver, self.root_uri)

    def parameters(self, raw: Any, pointer: str) -> dict[tuple[str, str], Parameter]:
        out: dict[tuple[str, str], Parameter] = {}
        if raw is None:
            return out
        if not isinstance(raw, list):
            self.problem(pointer, "parameters must be a list")
            return out
        for i, item in enumerate(raw):
            where = join(pointer, i)
            param = self.deref(item, where)
            if param is None:
                continue
            name, location = (
                (param.get("name"), param.get("in")) if isinstance(param, dict) else (None, None)
            )
            if not isinstance(name, str) or location not in ("query", "header", "path", "cookie"):
                self.problem(
                    where, "a parameter needs a string 'name' and 'in' of query/header/path/cookie"
                )
                continue
            schema = param.get("schema")
            content = param.get("content")
            if schema is None and isinstance(content, dict) and content:
                first = next(iter(content.values()))
                schema = first.get("schema") if isinstance(first, dict) else None
            style = param.get("style")
            explode = param.get("explode", style in (None, "form"))
            target = self.deref(schema, join(where, "schema")) if isinstance(schema, dict) else None
            any_names = (
                location == "query"
                and isinstance(target, dict)
                and (
                    target.get("type") == "object"
                    or "properties" in target
                    or "additionalProperties" in target
                )
                and (style == "deepObject" or (style in (None, "form") and explode))
            )
            out[(location, name.lower() if location == "header" else name)] = Parameter(
                name=name,
                location=location,
                required=bool(param.get("required")) or location == "path",
                deprecated=bool(param.get("deprecated")),
                schema=self.schema(schema),
                any_names=any_names,
                style=style if isinstance(style, str) else None,
            )
        return out

    def content(self, raw: Any, pointer: str) -> tuple[Content, ...]:
        if not isinstance(raw, dict):
            if raw is not None:
                self.problem(pointer, "content must be a mapping of media types")
            return ()
        return tuple(
            Content(
                normalise_media_type(str(mt)),
                self.schema(m.get("schema") if isinstance(m, dict) else None),
            )
            for mt, m in raw.items()
        )

    def responses(self, raw: Any, pointer: str) -> dict[str, Response]:
        out: dict[str, Response] = {}
        if not isinstance(raw, dict):
            self.problem(pointer, "responses must be a mapping of status codes")
            return out
        for code, item in raw.items():
            status = str(code).upper()
            where = join(pointer, code)
            if status != "DEFAULT" and not _STATUS.match(status):
                if not status.startswith("X-"):
                    self.problem(
                        where, f"{code!r} is not a status code, a range like 2XX, or 'default'"
                    )
                continue
            response = self.deref(item, where)
            if not isinstance(response, dict):
                continue
            status = "default" if status == "DEFAULT" else status
            out[status] = Response(
                status, self.content(response.get("content"), join(where, "content"))
            )
        return out

    def request_body(self, raw: Any, pointer: str) -> RequestBody | None:
        body = self.deref(raw, pointer)
        if not isinstance(body, dict):
            return None
        return RequestBody(
            bool(body.get("required")), self.content(body.get("content"), join(pointer, "content"))
        )

    def security_params(self, doc: dict[str, Any]) -> tuple[tuple[str, str], ...]:
        schemes = (doc.get("components") or {}).get("securitySchemes") or {}
        out = []
        for scheme in schemes.values() if isinstance(schemes, dict) else ():
            scheme = self.deref(scheme, "/components/securitySchemes")
            if (
                isinstance(scheme, dict)
                and scheme.get("type") == "apiKey"
                and isinstance(scheme.get("name"), str)
            ):
                name = scheme["name"]
                location = scheme.get("in", "header")
                out.append((location, name.lower() if location == "header" else name))
        return tuple(out)

    def operations(self, doc: dict[str, Any], root: Guarantees) -> list[Operation]:
        paths = doc.get("paths") or {}
        if not isinstance(paths, dict):
            raise ContractError(
                "'paths' must be a mapping of path templates",
                file=self.source,
                pointer="/paths",
                hint="see the OpenAPI 'Paths Object'",
            )
        security = self.security_params(doc)
        out: list[Operation] = []
        for path, raw_item in paths.items():
            where = join("/paths", path)
            if not isinstance(path, str) or not path.startswith("/"):
                if not str(path).startswith("x-"):
                    self.problem(where, f"path {path!r} must start with '/'")
                continue
            item = self.deref(raw_item, where)
            if not isinstance(item, dict):
                continue
            shared = self.parameters(item.get("parameters"), join(where, "parameters"))
            for method in METHODS:
                op = item.get(method)
                if op is None:
                    continue
                op_where = join(where, method)
                if not isinstance(op, dict):
                    self.problem(op_where, "an operation must be a mapping")
                    continue
                out.append(self.operation(method, path, op, shared, root, security, op_where))
        return out

    def operation(
        self,
        method: str,
        path: str,
        op: dict[str, Any],
        shared: dict[tuple[str, str], Parameter],
        root: Guarantees,
        security: tuple[tuple[str, str], ...],
        where: str,
    ) -> Operation:
        params = {**shared, **self.parameters(op.get("parameters"), join(where, "parameters"))}
        notes: list[tuple[str, str]] = []
        guarantees = parse_guarantees(op, root, where, notes)
        for pointer, message in notes:
            self.problem(pointer, message)
        sunset = op.get("x-sunset")
        op_id = op.get("operationId")
        return Operation(
            method=method.upper(),
            path=path,
            operation_id=op_id if isinstance(op_id, str) else None,
            parameters=tuple(params.values()),
            request_body=self.request_body(op.get("requestBody"), join(where, "requestBody")),
            responses=self.responses(op.get("responses", {}), join(where, "responses")),
            guarantees=guarantees,
            deprecated=op.get("deprecated") is True,
            sunset=str(sunset) if sunset is not None else None,
            pointer=where,
            security_params=security,
        )


def _base_paths(doc: dict[str, Any]) -> tuple[str, ...]:
    out: list[str] = []
    servers = doc.get("servers")
    for server in servers if isinstance(servers, list) else ():
        if not isinstance(server, dict) or not isinstance(server.get("url"), str):
            continue
        url = server["url"]
        raw_vars = server.get("variables")
        variables: dict[str, Any] = raw_vars if isinstance(raw_vars, dict) else {}
        for name, var in variables.items():
            default = var.get("default", "") if isinstance(var, dict) else ""
            url = url.replace("{" + str(name) + "}", str(default))
        path = urlsplit(url).path if "://" in url else url
        path = "/" + path.strip("/") if path.strip("/") else ""
        if path and path not in out and "{" not in path:
            out.append(path)
    return tuple(out)


def _collapse(problems: list[Problem], keep: int = 3) -> list[Problem]:
    """The same message at many places: show a few, then count the rest."""
    by_message: dict[str, list[Problem]] = {}
    for problem in problems:
        by_message.setdefault(problem.message, []).append(problem)
    out: list[Problem] = []
    for message, group in by_message.items():
        out.extend(group[:keep])
        if len(group) > keep:
            out.append(Problem(group[0].file, "", f"… and {len(group) - keep} more: {message}"))
    return out


def build_contract(
    documents: Mapping[str, Any], root_uri: str, *, source: str, service: str | None = None
) -> Contract:
    """Turn the root document (plus any it references) into a Contract.

    Raises ContractError only when nothing sensible can be built; everything else becomes a
    `Problem` on the contract.
    """
    doc = documents.get(root_uri)
    if not isinstance(doc, dict):
        raise ContractError(
            "not an OpenAPI document: expected a mapping at the top level",
            file=source,
            pointer="",
            hint="check the file is an OpenAPI 3.x or Swagger 2.0 document",
        )
    pre_problems: list[Problem] = []
    if str(doc.get("swagger", "")).startswith("2"):
        from drift.core.contract.swagger2 import convert_swagger2

        doc, converted = convert_swagger2({**doc, "swagger": "2.0"})  # YAML may read 2.0 as a float
        pre_problems = _collapse(
            [Problem(source, p.pointer, f"Swagger 2.0 conversion: {p.message}") for p in converted]
        )
        documents = {**documents, root_uri: doc}
    version = doc.get("openapi")
    if not isinstance(version, str):
        raise ContractError(
            "no 'openapi' version field: drift reads OpenAPI 3.0/3.1 and Swagger 2.0",
            file=source,
            pointer="/openapi",
            hint="add e.g. openapi: 3.0.3 at the top",
        )
    dialect = dialect_for(version)
    if dialect is None:
        raise ContractError(
            f"unsupported OpenAPI version {version!r}",
            file=source,
            pointer="/openapi",
            hint="drift reads OpenAPI 3.0.x and 3.1.x (and Swagger 2.0 by conversion)",
        )
    builder = _Builder(documents, root_uri, source)
    builder.problems.extend(pre_problems)
    raw_info = doc.get("info")
    info: dict[str, Any] = raw_info if isinstance(raw_info, dict) else {}
    title = str(info.get("title") or "")
    notes: list[tuple[str, str]] = []
    root_guarantees = parse_guarantees(doc, Guarantees(), "", notes)
    operations = builder.operations(doc, root_guarantees)
    for pointer, message in notes + lint_schemas(doc, dialect):
        builder.problem(pointer, message)
    return Contract(
        service=service or service_name(title or source),
        title=title,
        openapi_version=version,
        dialect=dialect,
        source=source,
        base_paths=_base_paths(doc),
        operations=tuple(operations),
        guarantees=root_guarantees,
        problems=tuple(builder.problems),
    )
