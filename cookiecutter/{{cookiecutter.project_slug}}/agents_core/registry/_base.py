"""A named registry: the shared mechanics of the agent, tool and guardrail registries."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from typing import Generic, TypeVar

from agents_core.exceptions import DuplicateNameError, UnknownNameError

T = TypeVar("T")


def import_submodules(package_name: str) -> None:
    """Import every module of a package so that their `register_*` calls run."""
    package = importlib.import_module(package_name)
    for module in pkgutil.walk_packages(package.__path__, prefix=f"{package_name}."):
        importlib.import_module(module.name)


class Registry(Generic[T]):
    """Items by unique name. Unknown names and duplicates raise errors that list what exists.

    A registry can be bound to a package (``discover``): the first lookup imports every module
    of that package, so dropping a file into ``agents_core/agents/`` is enough to register it.
    """

    kind = "item"

    def __init__(self, discover: str | None = None) -> None:
        self._items: dict[str, T] = {}
        self._discover = discover
        self._discovered = discover is None
        self.version = 0  # bumped on every change, so caches built from a registry can tell

    def _ensure_discovered(self) -> None:
        if not self._discovered:
            self._discovered = True
            assert self._discover is not None
            import_submodules(self._discover)

    def add(self, name: str, item: T, *, replace: bool = False) -> T:
        if not name or not isinstance(name, str):
            raise ValueError(f"A {self.kind} needs a non-empty string name, got {name!r}")
        if name in self._items and not replace:
            raise DuplicateNameError(self.kind, name)
        self._items[name] = item
        self.version += 1
        return item

    def get(self, name: str) -> T:
        self._ensure_discovered()
        try:
            return self._items[name]
        except KeyError:
            raise UnknownNameError(self.kind, name, self._items) from None

    def get_many(self, names: list[str] | tuple[str, ...]) -> list[T]:
        return [self.get(name) for name in names]

    def remove(self, name: str) -> T:
        self._ensure_discovered()
        try:
            item = self._items.pop(name)
        except KeyError:
            raise UnknownNameError(self.kind, name, self._items) from None
        self.version += 1
        return item

    def names(self) -> list[str]:
        self._ensure_discovered()
        return sorted(self._items)

    def all(self) -> list[T]:
        self._ensure_discovered()
        return [self._items[name] for name in sorted(self._items)]

    def __contains__(self, name: object) -> bool:
        self._ensure_discovered()
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        self._ensure_discovered()
        return len(self._items)

    def clear(self) -> None:
        """Empty the registry; discovery does not run again (modules stay imported)."""
        self._items.clear()
        self._discovered = True
        self.version += 1

    def snapshot(self) -> dict[str, T]:
        """A copy of the current items, for `restore` (tests isolate global state with it)."""
        self._ensure_discovered()
        return dict(self._items)

    def restore(self, snapshot: dict[str, T]) -> None:
        self._items = dict(snapshot)
        self._discovered = True
        self.version += 1
