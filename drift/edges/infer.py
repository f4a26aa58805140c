"""The `drift infer` pipeline: recorded traffic (HAR files and/or the store) → OpenAPI text."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

import yaml

from drift.core.contract.model import Contract
from drift.core.contract.openapi import build_contract
from drift.core.infer import infer_document, update_contract
from drift.core.observation import Observation, ObservationKey, merge_all
from drift.core.observe import Observer
from drift.core.regroup import regroup_undeclared
from drift.core.report import Window
from drift.edges.contracts import load_contract
from drift.edges.har import iter_har
from drift.errors import InputError

__all__ = ["dump_document", "load_observations", "run_infer"]

log = logging.getLogger(__name__)
DEFAULT_SERVICE = "observed"


def _empty_contract(service: str | None) -> Contract:
    """A contract declaring nothing: every path is templated from traffic alone."""
    uri = "mem:/observed"
    doc = {"openapi": "3.1.0", "info": {"title": service or "Observed API", "version": "0"}}
    return build_contract(
        {uri: {**doc, "paths": {}}}, uri, source="(traffic)", service=service or DEFAULT_SERVICE
    )


def _read_text(path: Path) -> str:
    """The file's text exactly (no newline translation: CRLF files stay CRLF)."""
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", file=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", file=str(path)) from None


def load_observations(
    contract: Contract,
    hars: Sequence[str | Path],
    *,
    stored: dict[ObservationKey, Observation] | None = None,
    consumer_header: str | None = None,
) -> dict[ObservationKey, Observation]:
    """Route HAR exchanges with `contract` and merge in stored observations of its service."""
    observer = Observer(contract)
    for har in hars:
        _, exchanges = iter_har(har, consumer_header=consumer_header, service=contract.service)
        for exchange in exchanges:
            observer.add(exchange)
    observations = observer.snapshot()
    if stored is None:
        return observations
    return regroup_undeclared(merge_all(observations, stored))


def dump_document(doc: object, fmt: str) -> str:
    """YAML (block style, keys in document order) or JSON (two-space indent)."""
    if fmt == "json":
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    return yaml.safe_dump(
        doc, sort_keys=False, allow_unicode=True, default_flow_style=False, width=1_000_000
    )


def run_infer(
    *,
    hars: Sequence[str | Path] = (),
    store_url: str | None = None,
    window: Window | None = None,
    service: str | None = None,
    contract_path: str | Path | None = None,
    update: str | Path | None = None,
    threshold: float = 1.0,
    consumer_header: str | None = None,
    consumers: Sequence[str] = (),
    title: str | None = None,
    fmt: str = "yaml",
) -> str:
    """The inferred OpenAPI document (`fmt` yaml or json), or with `update` that contract's text
    with the undocumented parts added (in the contract's own format).

    With a contract (`contract_path`, or the one being updated) exchanges are routed with its
    path templates, so declared templates and operation ids are kept; without one every path is
    templated from the traffic. The consumer header is not documented as a parameter.
    """
    if not 0 < threshold <= 1:
        raise InputError(f"the required threshold must be in (0, 1], not {threshold!r}")
    source = update or contract_path
    contract = load_contract(source, service=service) if source else None
    stored = None
    if store_url:  # one read; without a contract or --service, the store's only service
        from drift.edges.store import read_service

        read = read_service(
            store_url,
            contract.service if contract else service,
            start=window.start if window else None,
            end=window.end if window else None,
            consumers=consumers,
        )
        stored, service = read.observations, read.service
    if contract is None:
        contract = _empty_contract(service)
    observations = load_observations(contract, hars, stored=stored, consumer_header=consumer_header)
    ignore = frozenset({consumer_header.strip().lower()}) if consumer_header else frozenset()
    if update is not None:
        text = _read_text(Path(update))
        result = update_contract(
            text, observations, contract, required_threshold=threshold, ignore_headers=ignore
        )
        for what in result.skipped:
            log.warning("could not add to the contract", extra={"part": what})
        log.info(
            "contract updated",
            extra={"added": len(result.added), "skipped": len(result.skipped)},
        )
        return result.text
    doc = infer_document(
        observations,
        title=title or (f"{contract.title} (observed)" if source else contract.title),
        required_threshold=threshold,
        contract=contract if source else None,
        ignore_headers=ignore,
    )
    log.info(
        "contract inferred",
        extra={
            "operations": doc["x-drift-evidence"]["operations"],
            "exchanges": doc["x-drift-evidence"]["count"],
        },
    )
    return dump_document(doc, fmt)
