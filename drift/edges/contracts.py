"""Load a contract from disk: the root file plus every local file its `$ref`s reach.

Remote references are never fetched (drift runs beside production services); they are reported
as problems and the schemas behind them are treated as unconstrained.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from drift.core.contract.model import Contract, Problem
from drift.core.contract.openapi import build_contract
from drift.edges.documents import lines_of, read_document

__all__ = ["load_contract"]

log = logging.getLogger(__name__)
MAX_FILES = 500
MAX_LOCATED = 100


def _external_refs(doc: Any) -> set[str]:
    refs: set[str] = set()
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and not ref.startswith("#"):
                refs.add(ref.split("#", 1)[0])
            stack.extend(v for v in node.values() if isinstance(v, dict | list))
        elif isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, dict | list))
    return refs


def _collect(root: Path) -> tuple[dict[str, Any], list[str]]:
    """Read the root file and the local files it references, transitively."""
    root_uri = root.resolve().as_uri()
    documents: dict[str, Any] = {}
    skipped: list[str] = []
    queue = [root_uri]
    while queue and len(documents) < MAX_FILES:
        uri = queue.pop()
        if uri in documents:
            continue
        path = Path(unquote(urlsplit(uri).path))
        documents[uri] = read_document(path)
        for ref in _external_refs(documents[uri]):
            target = urljoin(uri, ref)
            if urlsplit(target).scheme != "file":
                skipped.append(ref)
            elif target not in documents:
                queue.append(target)
    return documents, skipped


def _locate(root: Path, problems: list[Problem]) -> list[Problem]:
    """Add line numbers to the first problems (reading the file's node tree costs ~1 s per MB)."""
    if not problems:
        return problems
    lines = lines_of(
        root, [p.pointer for p in problems[:MAX_LOCATED] if p.line is None and p.pointer]
    )
    return [replace(p, line=lines.get(p.pointer)) if p.line is None else p for p in problems]


def load_contract(path: str | Path, *, service: str | None = None) -> Contract:
    """Read and build the contract; raises InputError/ContractError with file, line and pointer."""
    root = Path(path)
    documents, remote = _collect(root)
    contract = build_contract(documents, root.resolve().as_uri(), source=str(root), service=service)
    problems = list(contract.problems)
    problems += [
        Problem(str(root), "", f"remote $ref {ref!r} not fetched; schemas behind it are unchecked")
        for ref in sorted(set(remote))
    ]
    problems = _locate(root, problems)
    log.info(
        "contract loaded",
        extra={
            "contract": str(root),
            "operations": len(contract.operations),
            "problems": len(problems),
        },
    )
    return replace(contract, problems=tuple(problems))
