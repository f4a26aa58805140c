"""Read one service's observations for a command (`check`, `infer`, `diff --store`): one open."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from drift.core.observation import Observation, ObservationKey
from drift.edges.store.store import Store
from drift.errors import InputError

__all__ = ["StoredService", "read_service"]


@dataclass(frozen=True, slots=True)
class StoredService:
    service: str | None  # as asked, or the store's only service when none was asked for
    observations: dict[ObservationKey, Observation]
    others: tuple[str, ...]  # the services the store holds, when it holds none of this one
    shown: str  # the store's URL without its password

    @property
    def count(self) -> int:
        return sum(o.count for o in self.observations.values())


def read_service(
    url: str,
    service: str | None,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    consumers: Sequence[str] = (),
) -> StoredService:
    """The observations of `service` in [start, end), of `consumers` if any are named. Without a
    service: the store's only one (several are ambiguous: an error naming them)."""
    with Store.open(url, create=False) as store:
        if service is None:
            held = store.services()
            if len(held) > 1:
                raise InputError(
                    f"the store holds observations of {len(held)} services: {', '.join(held)}",
                    hint="choose one with --service (or give its --contract)",
                )
            service = held[0] if held else None
        loaded = (
            store.load(start=start, end=end, services=[service], consumers=list(consumers) or None)
            if service is not None
            else {}
        )
        others = () if loaded else tuple(store.services())
        return StoredService(service, loaded, others, store.url_for_display)
