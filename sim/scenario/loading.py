"""Reading a scenario file: TOML text in, a validated, frozen :class:`Scenario` out.

Owns :func:`read_toml` (every way a file can fail to be TOML, named for the user), and
:func:`load_scenario`: read, apply the ``--set`` overrides, warn about experiment tables written
the older way, validate the model's parameters (:func:`sim.scenario.schema.validate`) and check
that the experiment tables fit them (:func:`sim.design.check_experiments`).

Example:
    >>> load_scenario("scenarios/baseline.toml", {"run.weeks": 10}).run.weeks
    10
"""

from __future__ import annotations

import os
import tomllib
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sim.design import check_experiments, older_forms
from sim.scenario.overrides import apply_overrides, resolve_relative_paths
from sim.scenario.schema import Scenario, validate
from sim.values import MAX_FILE_BYTES, ScenarioError


def read_toml(path: str | os.PathLike[str], kind: str) -> dict[str, Any]:
    """The tables of a TOML file, or a ScenarioError naming the file and what is wrong with it:
    not found, a folder or other non-file, unreadable, larger than MAX_FILE_BYTES, not UTF-8 text,
    empty, or not valid TOML (with the parser's line and column).

    Example:
        >>> read_toml("scenarios", "scenario file")
        Traceback (most recent call last):
        ...
        sim.scenario.ScenarioError: scenarios: is a folder, not a scenario file (give a .toml file)
    """
    file = Path(path)
    try:
        if file.is_dir():
            raise ScenarioError(f"{path}: is a folder, not a {kind} (give a .toml file)")
        if file.exists() and not file.is_file():  # a device or a pipe would be read forever
            raise ScenarioError(f"{path}: is not a regular file; a {kind} is a TOML text file")
        if file.exists() and file.stat().st_size > MAX_FILE_BYTES:
            raise ScenarioError(
                f"{path}: {file.stat().st_size:,} bytes; a {kind} is TOML text of at most "
                f"{MAX_FILE_BYTES:,} bytes"
            )
        raw = file.read_bytes()
    except FileNotFoundError:
        raise ScenarioError(f"{path}: {kind} not found") from None
    except OSError as error:  # permission denied, a name too long, ...
        raise ScenarioError(f"{path}: cannot read the {kind}: {error.strerror or error}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ScenarioError(
            f"{path}: not UTF-8 text (byte {error.start} is 0x{raw[error.start]:02x}); a {kind} is TOML text"
        ) from None
    guide = "docs/research.md" if "targets" in kind else "docs/scenario.md"
    if not text.strip():
        raise ScenarioError(f"{path}: the {kind} is empty; see {guide} for what it holds")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(f"{path}: not valid TOML: {error}") from None
    except RecursionError:
        raise ScenarioError(f"{path}: not valid TOML: arrays or tables nested too deeply") from None
    if not data:
        raise ScenarioError(f"{path}: the {kind} holds only comments; see {guide} for its tables")
    return data


def load_scenario(path: str | os.PathLike[str], overrides: Mapping[str, Any] | None = None) -> Scenario:
    """Read, override and validate a scenario file.

    Args:
        path: a TOML scenario file.
        overrides: dotted keys to values, e.g. ``{"firms.us.strategy": "relations"}``. A string
            value is parsed as a TOML value when it looks like one (``"12"`` -> 12).

    Raises:
        ScenarioError: the file is missing, not TOML, or a key or value is invalid (the model's
            parameters, or an experiment table that does not fit them: :mod:`sim.design.checks`).
            The message names the file, the dotted key, the value and what is allowed.

    Warns:
        DeprecationWarning: for an experiment table written in an older way that still reads
            (``[sensitivity.parameters]``, ``[low, high]``, ``{min, max}``, ...), naming the file and key.

    Example:
        >>> load_scenario("scenarios/baseline.toml").firms["us"].strategy
        'balanced'
    """
    source = str(path)
    data = read_toml(path, "scenario file")
    data = apply_overrides(data, overrides or {}, source)
    resolve_relative_paths(data, Path(source).parent)
    warn_older_forms(older_forms(data), source)
    scenario = validate(data, source)
    check_experiments(scenario)
    return scenario


def warn_older_forms(found: list[tuple[str, str]], source: str) -> None:
    """A DeprecationWarning for each older way of writing an experiment table, naming the file and
    the key (:func:`sim.design.older_forms` finds them; they still read)."""
    for key, advice in found:
        warnings.warn(f"{source}: {key}: {advice}", DeprecationWarning, stacklevel=3)
