"""Dotted-key overrides: ``firms.us.price=45`` applied to a scenario's tables before validation.

Owns how ``--set`` text and ``load_scenario(path, overrides)`` change a scenario: a value is read
as a TOML literal when it parses as one, a missing table on the way is created, a value cannot be
made a table, and choosing a firm's strategy or the network type by name drops the keys of the
old choice. Also where a relative file path (edge list, degrees, seeds, trait files) is resolved
(against the scenario's folder).

Example:
    >>> parse_value("12"), parse_value("[1, 2]"), parse_value("relations")
    (12, [1, 2], 'relations')
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sim.values import ScenarioError


def resolve_relative_paths(data: dict[str, Any], base: Path) -> None:
    """Each relative file ``path`` (the network's, a firm's seeds', influencer seeding's, a persona
    trait file's ``personas.<name>.<trait>.path``) made absolute against ``base`` (the scenario's folder)."""
    firms = data.get("firms")
    levers = data.get("levers")
    personas = data.get("personas")
    tables = [data.get("network")]
    tables += (
        [t.get("seeds") for t in firms.values() if isinstance(t, dict)] if isinstance(firms, dict) else []
    )
    tables += [levers.get("influencer_seeding")] if isinstance(levers, dict) else []
    if isinstance(personas, dict):
        tables += [
            trait for persona in personas.values() if isinstance(persona, dict) for trait in persona.values()
        ]
    for table in tables:
        if isinstance(table, dict) and isinstance(table.get("path"), str):
            candidate = Path(table["path"])
            if not candidate.is_absolute():
                table["path"] = str((base / candidate).resolve())


def parse_value(text: str) -> Any:
    """A ``--set`` value: a TOML literal if it parses as one, else the bare string."""
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        return text


def apply_overrides(data: dict[str, Any], overrides: Mapping[str, Any], source: str) -> dict[str, Any]:
    """``data`` (a scenario's tables) with each dotted key of ``overrides`` set; a string value
    is read as a TOML value when it looks like one. Setting a firm's strategy (or the network type)
    resets the keys that belonged to the old choice, so keys set alongside are applied after it.

    Example:
        >>> apply_overrides({"run": {"weeks": 5}}, {"run.weeks": "12", "market.size": 300}, "x.toml")
        {'run': {'weeks': 12}, 'market': {'size': 300}}
    """
    data = copy.deepcopy(data)
    # Choices that reset their dependants go first, so keys set alongside them survive.
    resets = [k for k in overrides if is_reset_key(k)]
    ordered = [*resets, *(k for k in overrides if k not in resets)]
    for dotted in ordered:
        raw = overrides[dotted]
        value = parse_value(raw) if isinstance(raw, str) else raw
        parts = dotted.split(".")
        if not all(parts):
            raise ScenarioError(f"{source}: override {dotted!r}: empty part in dotted key")
        table = data
        for depth, part in enumerate(parts[:-1]):
            existing = table.get(part)
            if isinstance(existing, list) and depth + 1 < len(parts) - 1:
                # An array of named tables ([[events]]) is addressed by name: events.<name>.week.
                named = [t for t in existing if isinstance(t, dict) and t.get("name") == parts[depth + 1]]
                if named:
                    table = {parts[depth + 1]: named[0]}
                    continue
            if existing is None:
                existing = table[part] = {}
            if not isinstance(existing, dict):
                where = ".".join(parts[: depth + 1])
                raise ScenarioError(
                    f"{source}: override {dotted} = {value!r}: {where} is a value, not a table"
                )
            table = existing
        table[parts[-1]] = value
        # Switching a firm's strategy (or the network type) by name resets the parameters that
        # belonged to the old choice to the new one's defaults; keys set alongside come after.
        if is_reset_key(dotted):
            for key in [
                k for k in table if k in ("split", "params") or (dotted == "network.type" and k != "type")
            ]:
                del table[key]
    return data


def is_reset_key(dotted: str) -> bool:
    """Whether setting ``dotted`` resets its dependants (a firm's strategy, the network type)."""
    parts = dotted.split(".")
    return dotted == "network.type" or (len(parts) == 3 and parts[0] == "firms" and parts[2] == "strategy")
