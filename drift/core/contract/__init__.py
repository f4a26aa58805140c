"""Contract model, OpenAPI loading and normalisation (pure)."""
