"""drift: catch drift between declared API contracts and live traffic."""

from drift.errors import ContractError, DriftError, InputError

__all__ = ["ContractError", "DriftError", "InputError", "__version__"]

__version__ = "0.1.0"
