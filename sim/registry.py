"""The registries of strategies and of response personalities by name: what a scenario's
``strategy = "..."`` and ``response.personality = "..."`` may say.

Foundation: this module imports no engine module, so the scenario schema can check a strategy name
without importing the engine. A name is a registered one (the built-ins ``conquest``,
``relations``, ``balanced``, ``neglect``, ``adaptive``, or one added with
:func:`register_strategy`) or an import path ``"package.module:ClassName"``. The built-in strategies
register themselves when the package :mod:`sim.strategies` is imported; a name not yet registered
makes the registry import that package by name first: a plug-in lookup at run time, the same
mechanism as a custom strategy's import path, not an import of the engine by the foundation.
Response personalities (``passive``, ``price_matcher``, ``retaliator``, ``defender``,
``aggressor``, :mod:`sim.responses`) are registered and resolved the same way.

Example:
    >>> resolve_strategy_class("relations").__name__
    'Relations'
"""

from __future__ import annotations

import importlib
from typing import Any

# name -> strategy class (a subclass of sim.strategies.Strategy)
STRATEGIES: dict[str, type[Any]] = {}
BUILT_IN_PACKAGE = "sim.strategies"  # importing it registers the built-in strategies


def _registrar(registry: dict[str, type[Any]]):
    """A class decorator factory adding a class to ``registry`` under a name (its ``name``)."""

    def register(name: str):
        def decorate(cls: type[Any]) -> type[Any]:
            cls.name = name
            registry[name] = cls
            return cls

        return decorate

    return register


def _resolve(
    spec: str, registry: dict[str, type[Any]], package: str, base: str, kind: str, plural: str
) -> type[Any]:
    """The class ``spec`` names in ``registry`` (after importing ``package``, which registers the
    built-ins), or at an import path ``"package.module:ClassName"`` that must subclass
    ``package.base``; else a ValueError naming the built-ins (``kind`` and its ``plural``)."""
    built_in = importlib.import_module(package)  # registers the built-ins (once)
    if spec in registry:
        return registry[spec]
    if ":" in spec:
        module_name, _, class_name = spec.partition(":")
        try:
            cls = getattr(importlib.import_module(module_name), class_name)
        except (ImportError, AttributeError) as error:
            raise ValueError(f"cannot import {kind} {spec!r}: {error}") from None
        if not (isinstance(cls, type) and issubclass(cls, getattr(built_in, base))):
            raise ValueError(f"{spec!r} is not a subclass of {package}.{base}")
        return cls
    raise ValueError(
        f"unknown {kind} {spec!r}; built-in {plural}: {', '.join(sorted(registry))}, "
        "or a custom class as 'package.module:ClassName'"
    )


register_strategy = _registrar(STRATEGIES)
register_strategy.__doc__ = "Class decorator adding a strategy to the registry under ``name``."


def resolve_strategy_class(spec: str) -> type[Any]:
    """The strategy class for a registered name or a ``"package.module:ClassName"`` path.

    Raises:
        ValueError: naming the built-in strategies when ``spec`` is neither.
    """
    return _resolve(spec, STRATEGIES, BUILT_IN_PACKAGE, "Strategy", "strategy", "strategies")


# --------------------------------------------------------------------------- response personalities
# name -> response class (a subclass of sim.responses.Response): what ``[firms.<name>.response]``'s
# ``personality = "..."`` may say. The built-ins register themselves when sim.responses is imported.
RESPONSES: dict[str, type[Any]] = {}
RESPONSE_PACKAGE = "sim.responses"
register_response = _registrar(RESPONSES)
register_response.__doc__ = "Class decorator adding a response personality to the registry under ``name``."


def resolve_response_class(spec: str) -> type[Any]:
    """The response class for a personality's name or a ``"package.module:ClassName"`` path.

    Example:
        >>> resolve_response_class("price_matcher").__name__
        'PriceMatcher'

    Raises:
        ValueError: naming the built-in personalities when ``spec`` is neither.
    """
    return _resolve(spec, RESPONSES, RESPONSE_PACKAGE, "Response", "personality", "personalities")
