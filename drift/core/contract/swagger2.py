"""Convert a Swagger 2.0 document into an equivalent OpenAPI 3.0.3 document (pure).

drift checks traffic against one contract model, so Swagger 2.0 specs are lifted to 3.0.3 first;
whatever cannot be carried over is reported as a `Problem` instead of failing the whole load.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

__all__ = ["Problem", "convert_swagger2"]

Json = dict[str, Any]
Media = tuple[str, ...]
_Body = tuple[Json, str, str | None]  # v2 body parameter, its pointer, root parameter name if ref'd
_Form = dict[str, tuple[Json, str]]  # formData parameter name -> (v2 parameter, its pointer)

_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch"})
_DEFAULT_MEDIA: Media = ("application/json",)
_URLENCODED, _MULTIPART = "application/x-www-form-urlencoded", "multipart/form-data"
_SCHEMA_KEYS: tuple[str, ...] = ("type", "format", "enum", "default", "minimum", "maximum")
_SCHEMA_KEYS += ("exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "pattern")
_SCHEMA_KEYS += ("minItems", "maxItems", "uniqueItems", "multipleOf")
_PARAM_KEYS = ("name", "in", "required", "description", "deprecated", "allowEmptyValue")
_OP_COPY = frozenset({"tags", "summary", "description", "externalDocs", "operationId"})
_OP_COPY |= {"deprecated", "security"}
_OP_FIELDS = _OP_COPY | {"consumes", "produces", "parameters", "responses", "schemes"}
_ROOT_FIELDS = frozenset({"swagger", "info", "host", "basePath", "schemes", "consumes", "paths"})
_ROOT_FIELDS |= {"produces", "definitions", "parameters", "responses", "securityDefinitions"}
_ROOT_FIELDS |= {"security", "tags", "externalDocs"}
_REF_PREFIXES = {"definitions": "schemas", "parameters": "parameters", "responses": "responses"}
_FLOWS = {  # v2 flow -> (v3 flow, the URLs it needs)
    "implicit": ("implicit", ("authorizationUrl",)),
    "password": ("password", ("tokenUrl",)),
    "application": ("clientCredentials", ("tokenUrl",)),
    "accessCode": ("authorizationCode", ("authorizationUrl", "tokenUrl")),
}
_STYLES = {"multi": ("form", True), "ssv": ("spaceDelimited", False)}
_STYLES["pipes"] = ("pipeDelimited", False)


@dataclass(frozen=True, slots=True)
class Problem:
    """Something in the Swagger 2.0 input that was not converted; `pointer` is RFC 6901 into it."""

    pointer: str
    message: str


def convert_swagger2(doc: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """Return the OpenAPI 3.0.3 form of `doc` and what could not be converted; `doc` is untouched."""
    if not isinstance(doc, dict):
        raise ValueError(f"expected a Swagger 2.0 document as a mapping, got {type(doc).__name__}")
    if doc.get("swagger") != "2.0":
        raise ValueError(f"not a Swagger 2.0 document: 'swagger' is {doc.get('swagger')!r}")
    converter = _Converter(doc)
    result = converter.document()
    return result, list(dict.fromkeys(converter.problems))


def _ptr(*parts: object) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _unescape(segment: str) -> str:
    return segment.replace("~1", "/").replace("~0", "~")


def _ext(node: Json) -> Json:
    return {k: copy.deepcopy(v) for k, v in node.items() if str(k).startswith("x-")}


def _pick(node: Json, keys: Any) -> Json:
    return {k: copy.deepcopy(node[k]) for k in keys if k in node}


def _dict(value: Any) -> Json:
    return value if isinstance(value, dict) else {}


def _media(value: Any, fallback: Media) -> Media:
    ok = isinstance(value, list) and value and all(isinstance(v, str) for v in value)
    return tuple(value) if ok else fallback


def _content(schema: Any, media: Media) -> Json:
    return {mt: {"schema": copy.deepcopy(schema)} for mt in media}


class _Converter:
    def __init__(self, doc: Json) -> None:
        self.doc = doc
        self.problems: list[Problem] = []
        self.root_params = _dict(doc.get("parameters"))
        self.root_responses = _dict(doc.get("responses"))
        self.consumes = _media(doc.get("consumes"), _DEFAULT_MEDIA)
        self.produces = _media(doc.get("produces"), _DEFAULT_MEDIA)
        base = doc.get("basePath")
        self.base = ("/" + base.lstrip("/")).rstrip("/") if isinstance(base, str) else ""

    def problem(self, pointer: str, message: str) -> None:
        self.problems.append(Problem(pointer, message))

    def unknown(self, node: Json, allowed: frozenset[str], ptr: str, what: str) -> None:
        for key in node:
            if key not in allowed and not str(key).startswith("x-"):
                self.problem(ptr + _ptr(key), f"{what} field {key!r} has no OpenAPI 3 equivalent")

    def ref(self, ref: str) -> str:
        """Point a v2 ref at components; a ref to a body parameter is resolved by split_params."""
        file, sep, fragment = ref.partition("#")
        section, _, rest = fragment.lstrip("/").partition("/")
        if not sep or not fragment.startswith("/") or section not in _REF_PREFIXES or not rest:
            return ref
        return f"{file}#/components/{_REF_PREFIXES[section]}/{rest}"

    def schema(self, node: Any, ptr: str) -> Any:
        if not isinstance(node, dict):
            return copy.deepcopy(node)
        out: Json = {}
        for key, value in node.items():
            sub = ptr + _ptr(key)
            if key == "$ref" and isinstance(value, str):
                out[key] = self.ref(value)
            elif key == "x-nullable":
                out.update({"nullable": True} if value is True else {})
            elif key == "discriminator" and isinstance(value, str):
                out[key] = {"propertyName": value}
            elif key == "properties" and isinstance(value, dict):
                out[key] = {n: self.schema(s, sub + _ptr(n)) for n, s in value.items()}
            elif key in ("allOf", "anyOf", "oneOf") and isinstance(value, list):
                out[key] = [self.schema(s, f"{sub}/{i}") for i, s in enumerate(value)]
            elif key == "items" and isinstance(value, list):
                self.problem(sub, "tuple-style items are not supported in OpenAPI 3.0; dropped")
                out[key] = {}
            elif key in ("items", "additionalProperties", "not"):
                out[key] = self.schema(value, sub)
            else:
                out[key] = copy.deepcopy(value)
        if out.get("type") == "file":
            out.update(type="string", format="binary")
        return out

    def simple_schema(self, node: Json) -> Json:
        """Schema for a non-body parameter, a header or an items object, from its type keywords."""
        if isinstance(node.get("$ref"), str):
            return {"$ref": self.ref(node["$ref"])}
        out = _pick(node, _SCHEMA_KEYS)
        if isinstance(node.get("items"), dict):
            out["items"] = self.simple_schema(node["items"])
        if node.get("x-nullable") is True:
            out["nullable"] = True
        if out.get("type") == "file":
            out.update(type="string", format="binary")
        return out

    def style(self, node: Json, where: Any, ptr: str) -> Json:
        if node.get("type") != "array":
            return {}
        fmt, in_form = node.get("collectionFormat", "csv"), where in ("query", "formData")
        if fmt == "csv":
            return {"style": "form", "explode": False} if in_form else {"style": "simple"}
        if fmt in _STYLES and in_form:
            return dict(zip(("style", "explode"), _STYLES[fmt], strict=True))
        self.problem(ptr + "/collectionFormat", f"collectionFormat {fmt!r} in {where} has no style")
        return {}

    def parameter(self, node: Json, ptr: str) -> Json | None:
        where = node.get("in")
        if where not in ("query", "header", "path"):
            self.problem(ptr, f"parameter location {where!r} is not supported; skipped")
            return None
        out = _pick(node, _PARAM_KEYS)
        out.update({"required": True} if where == "path" else {})
        out["schema"] = self.simple_schema(node)
        return {**out, **self.style(node, where, ptr), **_ext(node)}

    def body(self, node: Json, ptr: str, media: Media) -> Json:
        if "schema" not in node:
            self.problem(ptr, "body parameter has no schema; an empty schema is used")
        schema = self.schema(node.get("schema", {}), ptr + "/schema")
        content = _content(schema, media)
        return {**_pick(node, ("description", "required")), "content": content, **_ext(node)}

    def form_body(self, params: _Form, media: Media) -> Json:
        props: Json = {}
        encoding: Json = {}
        for name, (node, ptr) in params.items():
            props[name] = {**self.simple_schema(node), **_pick(node, ("description",))}
            if style := self.style(node, "formData", ptr):
                encoding[name] = style
        required = [name for name, (node, _) in params.items() if node.get("required") is True]
        types = [mt for mt in media if mt in (_URLENCODED, _MULTIPART)] or [_URLENCODED]
        if any(node.get("type") == "file" for node, _ in params.values()):
            types = [_MULTIPART]
        schema: Json = {"type": "object", "properties": props}
        schema.update({"required": required} if required else {})
        content = _content(schema, tuple(types))
        for entry in content.values():
            entry.update({"encoding": copy.deepcopy(encoding)} if encoding else {})
        return {"content": content, **({"required": True} if required else {})}

    def local_param(self, ref: str) -> tuple[str, Any] | None:
        prefix = "#/parameters/"
        if not ref.startswith(prefix) or "/" in ref[len(prefix) :]:
            return None
        name = _unescape(ref[len(prefix) :])
        return (name, self.root_params[name]) if name in self.root_params else None

    def split_params(self, raw: Any, ptr: str) -> tuple[list[Json], _Body | None, _Form]:
        """v3 parameters, the body parameter and the formData parameters of a v2 list."""
        params: list[Json] = []
        body: _Body | None = None
        form: _Form = {}
        if raw is not None and not isinstance(raw, list):
            self.problem(ptr, "parameters is not a list; skipped")
        for i, entry in enumerate(raw if isinstance(raw, list) else []):
            sub, node, name = f"{ptr}/{i}", entry, None
            ref = _dict(entry).get("$ref")
            if isinstance(ref, str) and (target := self.local_param(ref)) is not None:
                name, node = target
            elif isinstance(ref, str) and ref.startswith("#"):
                self.problem(sub, f"unresolved parameter $ref {ref!r}; skipped")
                continue
            elif isinstance(ref, str):
                params.append({"$ref": self.ref(ref)})
                continue
            if not isinstance(node, dict):
                self.problem(sub, "parameter is not an object; skipped")
                continue
            source, where = sub if name is None else _ptr("parameters", name), node.get("in")
            if where == "body" and body is not None:
                self.problem(sub, "more than one body parameter; extra one skipped")
            elif where == "body":
                body = (node, source, name)
            elif where == "formData" and isinstance(node.get("name"), str):
                form[node["name"]] = (node, source)
            elif where == "formData":
                self.problem(sub, "formData parameter has no name; skipped")
            elif name is not None:
                params.append({"$ref": "#/components/parameters" + _ptr(name)})
            elif (converted := self.parameter(node, sub)) is not None:
                params.append(converted)
        return params, body, form

    def request_body(self, body: _Body, media: Media) -> Json:
        """A $ref to a root body parameter, inlined when the operation consumes other types."""
        node, ptr, name = body
        if name is not None and media == self.consumes:
            return {"$ref": "#/components/requestBodies" + _ptr(name)}
        return self.body(node, ptr, media)

    def responses(self, raw: Any, ptr: str, media: Media) -> Json:
        if not isinstance(raw, dict) or not raw:
            self.problem(ptr, "operation has no responses")
        out: Json = {}
        for code, resp in _dict(raw).items():
            key, sub = str(code), ptr + _ptr(code)
            if key.startswith("x-"):
                out[key] = copy.deepcopy(resp)
            elif not isinstance(resp, dict):
                self.problem(sub, "response is not an object; skipped")
            elif isinstance(resp.get("$ref"), str):
                out[key] = self.response_ref(resp["$ref"], media)
            else:
                out[key] = self.response(resp, sub, media)
        return out

    def response_ref(self, ref: str, media: Media) -> Json:
        """A $ref to a root response, inlined when the operation produces other media types."""
        prefix = "#/responses/"
        name = _unescape(ref[len(prefix) :]) if ref.startswith(prefix) else ""
        target = self.root_responses.get(name)
        if isinstance(target, dict) and "schema" in target and media != self.produces:
            return self.response(target, _ptr("responses", name), media)
        return {"$ref": self.ref(ref)}

    def response(self, resp: Json, ptr: str, media: Media) -> Json:
        if "description" not in resp:
            self.problem(ptr, "response has no description; an empty one is used")
        out: Json = {"description": copy.deepcopy(resp.get("description", ""))}
        if headers := _dict(resp.get("headers")):
            out["headers"] = {
                n: self.header(_dict(h), f"{ptr}/headers{_ptr(n)}") for n, h in headers.items()
            }
        if "schema" in resp:
            out["content"] = _content(self.schema(resp["schema"], ptr + "/schema"), media)
        return {**out, **_ext(resp)}

    def header(self, node: Json, ptr: str) -> Json:
        schema = {"schema": self.simple_schema(node)}
        style = self.style(node, "header", ptr)
        return {**_pick(node, ("description",)), **schema, **style, **_ext(node)}

    def path_item(self, item: Json, ptr: str) -> Json:
        params, body, form = self.split_params(item.get("parameters"), ptr + "/parameters")
        out: Json = {}
        for key, value in item.items():
            sub = ptr + _ptr(key)
            if key == "$ref" and isinstance(value, str):
                out[key] = self.ref(value)
            elif key in _METHODS and isinstance(value, dict):
                out[key] = self.operation(value, sub, body, form)
            elif str(key).startswith("x-"):
                out[key] = copy.deepcopy(value)
            elif key == "parameters":
                out.update({"parameters": params} if params else {})
            else:
                self.problem(sub, f"path item field {key!r} is not convertible; skipped")
        return out

    def operation(self, op: Json, ptr: str, path_body: _Body | None, path_form: _Form) -> Json:
        self.unknown(op, _OP_FIELDS, ptr, "operation")
        out = _pick(op, [k for k in op if k in _OP_COPY])
        params, body, form = self.split_params(op.get("parameters"), ptr + "/parameters")
        body, form = body or path_body, {**path_form, **form}
        out.update({"parameters": params} if params else {})
        if body is not None and form:
            self.problem(ptr, "operation has both body and formData parameters; formData skipped")
        consumes = _media(op.get("consumes"), self.consumes)
        if body is not None:
            out["requestBody"] = self.request_body(body, consumes)
        elif form:
            out["requestBody"] = self.form_body(form, consumes)
        produces = _media(op.get("produces"), self.produces)
        out["responses"] = self.responses(op.get("responses"), ptr + "/responses", produces)
        if "schemes" in op and op["schemes"] != self.doc.get("schemes"):
            servers = self.servers(op["schemes"])
            if servers is None:
                self.problem(ptr + "/schemes", "schemes cannot be expressed without a host")
            out.update({"servers": servers} if servers else {})
        return {**out, **_ext(op)}

    def servers(self, schemes: Any) -> list[Json] | None:
        """Server objects for `schemes` on the document's host; None when there is no host."""
        host = self.doc.get("host")
        if not isinstance(host, str) or not host:
            return None
        names = [s for s in schemes if isinstance(s, str)] if isinstance(schemes, list) else []
        return [{"url": f"{s}://{host}{self.base}"} for s in names] or [
            {"url": f"//{host}{self.base}"}
        ]

    def security_scheme(self, node: Json, ptr: str) -> Json | None:
        kind, extra = node.get("type"), {**_pick(node, ("description",)), **_ext(node)}
        if kind == "basic":
            return {"type": "http", "scheme": "basic", **extra}
        if kind == "apiKey":
            return {"type": "apiKey", **_pick(node, ("name", "in")), **extra}
        if kind != "oauth2":
            self.problem(ptr + "/type", f"security scheme type {kind!r} is unknown; skipped")
            return None
        flow = _FLOWS.get(str(node.get("flow")))
        if flow is None:
            self.problem(ptr + "/flow", f"oauth2 flow {node.get('flow')!r} is unknown; skipped")
            return None
        spec = {**_pick(node, flow[1]), "scopes": copy.deepcopy(_dict(node.get("scopes")))}
        return {"type": "oauth2", "flows": {flow[0]: spec}, **extra}

    def components(self) -> Json:
        out: Json = {"schemas": {}, "parameters": {}, "requestBodies": {}, "responses": {}}
        for name, schema in _dict(self.doc.get("definitions")).items():
            out["schemas"][name] = self.schema(schema, _ptr("definitions", name))
        for name, node in self.root_params.items():
            ptr, where = _ptr("parameters", name), _dict(node).get("in")
            if where == "body":
                out["requestBodies"][name] = self.body(node, ptr, self.consumes)
            elif where == "formData":
                self.problem(ptr, "formData parameters have no component form; inlined where used")
            elif (param := self.parameter(_dict(node), ptr)) is not None:
                out["parameters"][name] = param
        for name, resp in self.root_responses.items():
            ptr = _ptr("responses", name)
            out["responses"][name] = self.response(_dict(resp), ptr, self.produces)
        schemes = out["securitySchemes"] = {}
        for name, node in _dict(self.doc.get("securityDefinitions")).items():
            if scheme := self.security_scheme(_dict(node), _ptr("securityDefinitions", name)):
                schemes[name] = scheme
        return {k: v for k, v in out.items() if v}

    def document(self) -> Json:
        doc = self.doc
        self.unknown(doc, _ROOT_FIELDS, "", "root")
        out: Json = {"openapi": "3.0.3", "info": copy.deepcopy(doc.get("info", {}))}
        out.update(_pick(doc, ("externalDocs", "tags")))
        servers = self.servers(doc.get("schemes"))
        if servers is None and "schemes" in doc:
            self.problem("/schemes", "schemes cannot be expressed without a host; dropped")
        out["servers"] = servers or [{"url": self.base or "/"}]
        out.update(_pick(doc, ("security",)))
        if not isinstance(doc.get("paths", {}), dict):
            self.problem("/paths", "paths is not an object; skipped")
        out["paths"] = {}
        for path, item in _dict(doc.get("paths")).items():
            if str(path).startswith("x-"):
                out["paths"][path] = copy.deepcopy(item)
            elif isinstance(item, dict):
                out["paths"][path] = self.path_item(item, _ptr("paths", path))
            else:
                self.problem(_ptr("paths", path), "path item is not an object; skipped")
        if components := self.components():
            out["components"] = components
        return {**out, **_ext(doc)}
