"""Inference of the *actual* contract: an OpenAPI document of observed traffic (`drift infer`).

`infer_document` builds a whole OpenAPI 3.1 document from observations; `update_document` adds
only the undocumented parts to an existing contract's text, marked `x-stability: incidental`,
leaving every declared line as it was.
"""

from __future__ import annotations

from drift.core.infer.document import infer_document
from drift.core.infer.schema import SchemaRules, node_schema
from drift.core.infer.update import UpdateResult, update_contract, update_document

__all__ = [
    "SchemaRules",
    "UpdateResult",
    "infer_document",
    "node_schema",
    "update_contract",
    "update_document",
]
