"""What the dashboard's controls say: a control's label with its group, the changes not applied
yet, and why a control does nothing for the settings chosen.

Owns the words of :mod:`sim.dashboard.app`'s sidebar beyond the controls themselves (which
:func:`sim.dashboard.market.dashboard_params` defines). No Solara here.

Example:
    >>> from sim import load_scenario
    >>> params = dashboard_params(load_scenario("scenarios/baseline.toml"))
    >>> control_label(params, "firms.rival.budget")
    'The rival (rival): budget a week'
"""

from __future__ import annotations

import math
from typing import Any

from sim.dashboard.market import (
    MIXED_STRATEGY,
    NO_COMPARISON,
    RELATIONS_SHARE,
    dashboard_params,
    initial_settings,
)

__all__ = ["control_disabled", "control_label", "dashboard_params", "initial_settings", "pending_changes"]


def control_label(params: dict[str, Any], key: str) -> str:
    """A control's label with its group where the label alone is ambiguous ("Our firm (us): budget
    a week"); the market's and behaviour's own labels say what they are.

    Example:
        >>> from sim import load_scenario
        >>> params = dashboard_params(load_scenario("scenarios/baseline.toml"))
        >>> control_label(params, "firms.us.budget"), control_label(params, "market.size")
        ('Our firm (us): budget a week', 'market size (people)')
    """
    spec = params[key]
    if key.startswith("firms.") or key.startswith("compare_"):
        return f"{spec['group']}: {spec['label']}"
    return spec["label"]


def _shown(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int) or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.4g}"


def pending_changes(params: dict[str, Any], applied: dict[str, Any], draft: dict[str, Any]) -> list[str]:
    """The controls moved since the settings in force, one line each: "Our firm (us): budget a week
    2,000 -> 5,000"; the page shows them until they are applied.

    Example:
        >>> from sim import load_scenario
        >>> params = dashboard_params(load_scenario("scenarios/baseline.toml"))
        >>> start = initial_settings(params)
        >>> pending_changes(params, start, {**start, "firms.us.budget": 5000})
        ['Our firm (us): budget a week 2,000 -> 5,000']
    """
    return [
        f"{control_label(params, key)} {_shown(applied.get(key))} -> {_shown(value)}"
        for key, value in draft.items()
        if key in params and isinstance(params[key], dict) and _differs(applied.get(key), value)
    ]


def _differs(before: Any, after: Any) -> bool:
    if isinstance(before, int | float) and isinstance(after, int | float):
        return not math.isclose(before, after, rel_tol=1e-12, abs_tol=1e-12)
    return before != after


def control_disabled(params: dict[str, Any], draft: dict[str, Any], key: str) -> str | None:
    """Why a control does nothing with the settings chosen (``draft``), or None when it applies: a
    relations share for a firm whose strategy is not ``balanced``, a budget for a firm that
    neglects (spends nothing), the side-by-side firm when no other strategy is chosen.

    Example:
        >>> from sim import load_scenario
        >>> params = dashboard_params(load_scenario("scenarios/baseline.toml"))
        >>> control_disabled(params, initial_settings(params), "firms.rival.relations_share")
        'only a balanced strategy splits its budget; rival is on neglect'
    """
    parts = key.split(".")
    if len(parts) == 3 and parts[0] == "firms":
        strategy = draft.get(f"firms.{parts[1]}.strategy")
        if parts[2] == RELATIONS_SHARE and strategy != MIXED_STRATEGY:
            return f"only a {MIXED_STRATEGY} strategy splits its budget; {parts[1]} is on {strategy}"
        if parts[2] == "budget" and strategy == "neglect":
            return f"{parts[1]} is on neglect, which spends nothing"
    if key == "compare_firm" and draft.get("compare_strategy") == NO_COMPARISON:
        return "no side by side: choose its other strategy first"
    return None
