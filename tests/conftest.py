from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
# The corpus's recorded traffic (traffic/NAME.har) and the contract it conforms to (specs/FILE).
CORPUS_PAIRS = {
    "petstore": "oai__petstore.yaml",
    "petstore-expanded": "oai__petstore-expanded.yaml",
    "redocly-museum": "redocly-museum__openapi.yaml",
    "swagger-petstore": "swagger-petstore__openapi.yaml",
    "spotify": "spotify__fixed-spotify-open-api.yaml",
    "twilio-lookups": "twilio__lookups_v2.json",
}

needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not present")
