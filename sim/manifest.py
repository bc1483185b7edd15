"""Manifests: the ``manifest.json`` of every output folder, saying what made the files in it.

Owns building and writing that file: the project's version and git commit (and whether the working
tree had changes not committed), Python's and the key packages' versions, the scenario (name,
source file and :func:`scenario_hash`), the seeds, what asked for the output (the command line, or
the Python call), when the work started and ended, and the machine it ran on.

The start is taken where the work starts and carried to the writer in an :class:`Invocation`: the
``sim`` command makes one from its command line before it does anything; each API function that
does the work (:func:`sim.simulate`, :func:`sim.compare`, ...) makes one and keeps it on its result,
so ``simulate(...).write(folder)`` records when ``simulate`` began. The end is the moment the
manifest is written: last, after every other file of the folder, each writer calling
:func:`write_manifest` once. Only the standard library is imported here (``sim --help`` loads it).

Example:
    >>> from sim.scenario import Scenario
    >>> manifest = build_manifest(Scenario(), seeds=[1], invocation=Invocation.api("sim.simulate", seed=1))
    >>> manifest["seeds"], manifest["command"], manifest["scenario"]["hash"] == scenario_hash(Scenario())
    ([1], {'call': 'sim.simulate', 'arguments': {'seed': 1}}, True)
"""

from __future__ import annotations

import datetime
import hashlib
import json
import math
import os
import platform
import socket
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.scenario import Scenario

MANIFEST = "manifest.json"
FORMAT = 1  # the manifest's own layout; raised when a field changes meaning

# The project's runtime dependencies (pyproject.toml; a test keeps the two in step) and numba's
# compiler, whose versions can change the numbers or the speed.
KEY_PACKAGES = (
    "numpy", "scipy", "pandas", "pyarrow", "numba", "llvmlite", "mesa", "networkx", "pydantic",
    "matplotlib", "tomli-w", "dask", "distributed", "tqdm", "SALib", "optuna", "nbclient", "nbformat",
    "nbconvert", "ipykernel", "nashpy", "ema_workbench", "scikit-learn", "joblib", "pyabc",
)  # fmt: skip


def now() -> datetime.datetime:
    """This moment in the machine's local time zone (ISO 8601 with its offset when written)."""
    return datetime.datetime.now().astimezone()


@dataclass(frozen=True)
class Invocation:
    """What asked for an output and when the work began.

    Attributes:
        started: when the work began (None: not known, e.g. a market stepped by hand).
        argv: the command line, when the ``sim`` command asked.
        call: the Python function, when the API asked (e.g. ``sim.experiments.compare``).
        arguments: the call's arguments other than the scenario (recorded apart), as JSON values.

    Example:
        >>> Invocation.api("sim.experiments.compare", runs=20, out=Path("results/x")).arguments
        {'runs': 20, 'out': 'results/x'}
    """

    started: datetime.datetime | None
    argv: tuple[str, ...] | None = None
    call: str | None = None
    arguments: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def command_line(cls, argv: Sequence[str] | None = None) -> Invocation:
        """The ``sim`` command's: ``sys.argv``, or ``sim`` and ``argv`` when ``main`` was given them."""
        return cls(now(), argv=tuple(sys.argv) if argv is None else ("sim", *argv))

    @classmethod
    def api(cls, call: str, **arguments: Any) -> Invocation:
        """A Python call's, started now."""
        return cls(now(), call=call, arguments={k: _json_value(v) for k, v in arguments.items()})

    def command(self) -> dict[str, Any]:
        """The manifest's ``command``: ``{"argv": [...]}`` or ``{"call": ..., "arguments": {...}}``."""
        if self.argv is not None:
            return {"argv": list(self.argv)}
        return {"call": self.call, "arguments": self.arguments}

    def to_json(self) -> dict[str, Any]:
        """As JSON values (what :meth:`from_json` reads back), e.g. to keep on a table's ``attrs``."""
        return {"started": _iso(self.started), **self.command()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Invocation:
        started = data.get("started")
        argv = data.get("argv")
        return cls(
            datetime.datetime.fromisoformat(started) if started else None,
            argv=None if argv is None else tuple(argv),
            call=data.get("call"),
            arguments=dict(data.get("arguments") or {}),
        )

    def kept_on(self, table: Any) -> Any:
        """``table`` (a pandas DataFrame an API function returns) with this invocation in its
        ``attrs``, as JSON values: pandas keeps them through copies and in parquet files."""
        table.attrs["invocation"] = self.to_json()
        return table

    @classmethod
    def kept(cls, table: Any) -> Invocation | None:
        """The invocation :meth:`kept_on` put on ``table``; None if there is none."""
        data = table.attrs.get("invocation")
        return None if data is None else cls.from_json(data)


def _json_value(value: Any) -> Any:
    """``value`` as JSON: paths and other objects as text, non-finite numbers as text."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Mapping):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_json_value(v) for v in value]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return repr(value)


def _iso(moment: datetime.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="milliseconds")


def scenario_hash(scenario: Scenario) -> str:
    """A short hash of the resolved scenario without its seed and its experiments (arms, sweep,
    ...): the model as one run runs it. The run cache's folder name (``sim.experiments.config_hash``).

    Example:
        >>> from sim.scenario import Scenario
        >>> scenario_hash(Scenario()) == scenario_hash(Scenario().with_overrides({"run.seed": 9}))
        True
    """
    data = scenario.without_experiments().to_dict()
    for key in ("seed", "record_transactions", "start_date"):  # they do not change the numbers
        data["run"].pop(key, None)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def git_state(root: Path | None = None) -> dict[str, Any] | None:
    """The commit of the source tree ``sim`` was imported from and whether it had changes not
    committed (``git status``: modified, staged or new files that .gitignore does not exclude);
    None when that folder is not the top of a git work tree (an installed package) or git is
    missing."""
    root = Path(__file__).resolve().parent.parent if root is None else root

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=20, check=True
        )
        return done.stdout.strip()

    try:
        # a package installed inside some other repository is not that repository's code
        if Path(git("rev-parse", "--show-toplevel")).resolve() != root:
            return None
        return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain"))}
    except (OSError, subprocess.SubprocessError):
        return None


def package_versions() -> dict[str, str | None]:
    """The installed version of each of :data:`KEY_PACKAGES` (None: not installed)."""
    versions: dict[str, str | None] = {}
    for name in KEY_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def machine() -> dict[str, Any]:
    """Host name, platform, processor type, CPUs (all, and those this process may use) and memory."""
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # no sysconf (Windows) or no such name
        memory = None
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "hostname": socket.gethostname(),
        "platform": platform.platform(),
        "processor": platform.machine(),
        "cpus": os.cpu_count(),
        "cpus_usable": usable,
        "memory_bytes": memory,
    }


def describe_scenario(scenario: Scenario | Mapping[str, Any]) -> dict[str, Any]:
    """``name``, ``source`` (the file it was read from; None if built in Python) and ``hash``
    (:func:`scenario_hash`) of a scenario, or of the ``scenario``, ``source`` and ``hash`` keys
    of a result's JSON (``sensitivity.json``, ``fit.json``, ``optimisation.json``); a scaled
    market adds ``scaling`` (real size, people simulated, scale: :func:`sim.scaling.scaling_record`)."""
    if isinstance(scenario, Mapping):
        described = {"name": scenario["scenario"], "source": scenario.get("source"), "hash": scenario["hash"]}
        scaling = scenario.get("scaling")
    else:
        from sim.scaling import scaling_record

        described = {"name": scenario.name, "source": scenario.source, "hash": scenario_hash(scenario)}
        scaling = scaling_record(scenario)
    return described if scaling is None else {**described, "scaling": scaling}


def build_manifest(
    scenario: Scenario | Mapping[str, Any],
    seeds: Iterable[int],
    invocation: Invocation | None,
    writer: str | None = None,
    **details: Any,
) -> dict[str, Any]:
    """The manifest of an output written now (see :func:`write_manifest` for the arguments)."""
    from sim import __version__

    finished = now()
    started = None if invocation is None else invocation.started
    return {
        "manifest_format": FORMAT,
        "project": {"name": "customer-sim", "version": __version__},
        "git": git_state(),
        "python": {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
            "executable": sys.executable,
        },
        "packages": package_versions(),
        "scenario": describe_scenario(scenario),
        "seeds": [int(seed) for seed in seeds],
        "command": {"call": writer, "arguments": {}} if invocation is None else invocation.command(),
        "writer": writer,
        "started": _iso(started),
        "finished": _iso(finished),
        "seconds": None if started is None else round((finished - started).total_seconds(), 3),
        "machine": machine(),
        **{key: _json_value(value) for key, value in details.items()},
    }


def write_manifest(
    folder: str | os.PathLike[str],
    scenario: Scenario | Mapping[str, Any],
    seeds: Iterable[int],
    invocation: Invocation | None,
    output: str | None = None,
    **details: Any,
) -> Path:
    """Write ``folder/manifest.json`` atomically; call it after every other file of the folder.

    Args:
        folder: the output folder.
        scenario: the scenario that was run, or a result's JSON naming it (:func:`describe_scenario`).
        seeds: the seeds run.
        invocation: what asked for the output and when it started (None: not known; the
            manifest then names the writing function as the call and has no start time).
        output: the one file written, for a command whose output is a file in a folder that may
            hold other outputs (``sim transactions``). If the folder's manifest describes
            something else, this file's manifest goes under its ``outputs``, keyed by the file
            name, rather than replacing it; a folder written again keeps those entries.
        **details: further fields (e.g. ``arms``: each compared arm's hash).

    Returns:
        The manifest's path.
    """
    from sim.files import write_json

    caller = sys._getframe(1)  # the function that wrote the folder, named in the manifest
    writer = f"{caller.f_globals.get('__name__')}.{caller.f_code.co_qualname}"
    folder = Path(folder)
    path = folder / MANIFEST
    manifest = build_manifest(scenario, seeds, invocation, writer, **details)
    existing = _read(path)
    outputs = {name: entry for name, entry in existing.get("outputs", {}).items() if (folder / name).exists()}
    if output is not None:
        manifest["output"] = output
        outputs.pop(output, None)
        if existing and existing.get("output") != output:
            # the folder's manifest describes another output: this file's joins its outputs
            write_json(path, {**existing, "outputs": {**outputs, output: manifest}})
            return path
    elif existing.get("output") and (folder / existing["output"]).exists():
        # a file another command wrote here earlier keeps its entry
        outputs[existing["output"]] = {k: v for k, v in existing.items() if k != "outputs"}
    if outputs:
        manifest["outputs"] = outputs
    write_json(path, manifest)
    return path


def _read(path: Path) -> dict[str, Any]:
    """The manifest at ``path``; empty if there is none or it cannot be read."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
