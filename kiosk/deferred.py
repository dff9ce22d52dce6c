"""Build a part on first use, so nothing the attract screen does not need is built before it.

``Deferred(factory)`` stands in for the object ``factory()`` returns: the first attribute
read or write builds it (once, under a lock, on whichever thread asks first) and every
later one goes straight to it. The app warms each one on its worker lane right after the
first frame, so a citizen's first touch normally finds it built. Qt-free.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

_OWN = frozenset({"_factory", "_target", "_lock", "_name"})


class Deferred:
    """A stand-in that builds its target on first use; thread-safe, builds at most once."""

    def __init__(self, factory: Callable[[], Any], name: str = "part") -> None:
        object.__setattr__(self, "_factory", factory)
        object.__setattr__(self, "_target", None)
        object.__setattr__(self, "_lock", threading.Lock())
        object.__setattr__(self, "_name", name)

    @property
    def built(self) -> bool:
        """True once the target exists (reading this never builds it)."""
        return object.__getattribute__(self, "_target") is not None

    def get(self) -> Any:
        """The target, built now if it was not yet."""
        target = object.__getattribute__(self, "_target")
        if target is not None:
            return target
        with object.__getattribute__(self, "_lock"):
            target = object.__getattribute__(self, "_target")
            if target is None:
                target = object.__getattribute__(self, "_factory")()
                object.__setattr__(self, "_target", target)
            return target

    def __getattr__(self, name: str) -> Any:
        if name in _OWN or name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.get(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self.get(), name, value)

    def __repr__(self) -> str:
        state = "built" if self.built else "not built"
        return f"<Deferred {object.__getattribute__(self, '_name')} ({state})>"


def built(part: object) -> object | None:
    """The real object behind ``part`` if it exists now (never builds a Deferred), else None."""
    if isinstance(part, Deferred):
        return part.get() if part.built else None
    return part
