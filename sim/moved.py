"""Old homes of moved names: a module's ``__getattr__`` that still gives a name that moved to
another module, with a DeprecationWarning naming the new home (foundation: standard library only).

Example:
    >>> import warnings
    >>> __getattr__ = moved_names("old.place", {"sqrt": "math"})
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     __getattr__("sqrt")(4.0), str(caught[0].message)
    (2.0, 'old.place.sqrt has moved to math.sqrt')
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Mapping
from typing import Any


def moved_names(module: str, moved: Mapping[str, str], hint: str = "") -> Callable[[str], Any]:
    """A module ``__getattr__`` for ``module``: each name of ``moved`` (name -> its new module) is
    fetched from its new home with a DeprecationWarning; any other name is an AttributeError (with
    ``hint`` appended, to say where to look)."""

    def __getattr__(name: str) -> Any:
        home = moved.get(name)
        if home is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}{hint}")
        warnings.warn(f"{module}.{name} has moved to {home}.{name}", DeprecationWarning, stacklevel=2)
        return getattr(importlib.import_module(home), name)

    return __getattr__
