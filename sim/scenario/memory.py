"""How much memory a run needs, and the refusal of a market too large for this machine.

Owns the measured line of a run's peak memory (a fixed part, a part a person, a tie and a
departure; benchmarks/memory.py), the expected ties and departures of a scenario, what memory this
process may still use (the system's, or a container's limit) and :func:`check_memory`, which
refuses a scenario whose run would not fit, naming the size that would.

Example:
    >>> from sim.scenario import Scenario
    >>> ties(Scenario(market={"size": 1000})), round(departures(Scenario(market={"size": 1000})))
    (5000, 60)
"""

from __future__ import annotations

import codecs
import functools
import math
import os
import time
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from sim.scenario.behaviours import BehavioursConfig
from sim.scenario.market import MarketConfig, NetworkConfig, RunConfig
from sim.scenario.people import Persona
from sim.values import ScenarioError


class Sized(Protocol):
    """What the memory estimate reads of a scenario (:class:`sim.scenario.Scenario` has it)."""

    source: str | None
    run: RunConfig
    market: MarketConfig
    network: NetworkConfig
    personas: dict[str, Persona]
    behaviours: BehavioursConfig


# Peak resident memory of `sim run` (network, population, weekly steps, outputs written): a fixed
# part (interpreter, libraries), a part a person, a part a tie (one undirected pair; the largest of
# the network types') and a part a departure (a person who died or moved keeps a row in the
# customer table while a newcomer takes the slot). Measured by benchmarks/memory.py on 2026-12-03
# (benchmarks/README.md, "Memory against size"): 1,019.9 bytes a person at 5 ties each, less
# 5 x 36.9 a tie; the fixed part is the line's upper envelope over the measured sizes (373 MiB,
# the least-squares intercept being 338), so the estimate errs on the safe side. Measure again when
# the engine's arrays change. Not counted: a transaction log (run.record_transactions), which
# grows with the purchases.
MEMORY_FIXED_BYTES = 373 * 2**20
MEMORY_BYTES_PER_PERSON = 835
MEMORY_BYTES_PER_TIE = 37
MEMORY_BYTES_PER_DEPARTURE = 513


def memory_estimate(scenario: Sized) -> int:
    """Bytes a run of ``scenario`` needs at its peak (the measured line of benchmarks/memory.py).

    Example:
        >>> from sim.scenario import Scenario
        >>> round(memory_estimate(Scenario(market={"size": 1_000_000})) / 2**30, 2)  # GiB
        1.34
    """
    return int(
        MEMORY_FIXED_BYTES
        + MEMORY_BYTES_PER_PERSON * scenario.market.people
        + MEMORY_BYTES_PER_TIE * ties(scenario)
        + MEMORY_BYTES_PER_DEPARTURE * departures(scenario)
    )


def departures(scenario: Sized) -> float:
    """The expected number of people who leave the market (die or move) during the run: the
    personas' weekly chance of leaving, weighted by their shares, x people x weeks."""
    churn = scenario.behaviours.churn
    total = sum(p.share for p in scenario.personas.values())
    weekly = 0.0
    for persona in scenario.personas.values():
        hazard = (churn.died and churn.enabled) * _weekly_hazard(persona.death_rate) + (
            churn.moved and churn.enabled
        ) * _weekly_hazard(persona.move_rate)
        weekly += persona.share / total * -math.expm1(-hazard)
    return weekly * scenario.market.people * scenario.run.weeks


def _weekly_hazard(yearly: float) -> float:
    # as sim.agents.customers.weekly_hazard (not imported: it would load NumPy and SciPy)
    return -math.log1p(-min(yearly, 1 - 1e-12)) / 52.0


def ties(scenario: Sized) -> int:
    """The expected number of ties (undirected pairs) of the scenario's network."""
    network, size = scenario.network, scenario.market.people  # the simulated people are tied
    if network.type in ("watts_strogatz", "erdos_renyi"):
        return math.ceil(size * network.mean_degree / 2)
    if network.type in ("barabasi_albert", "powerlaw_cluster"):
        return size * network.attach
    if network.type == "edge_list":
        return _edge_list_lines(network.path, scenario.source or "<scenario>")
    if network.type == "random_regular":
        return size * network.degree // 2
    if network.type == "sbm":
        return math.ceil(size * network.mean_degree / 2)
    if network.type == "configuration":
        return _configuration_ties(network, size)
    return 0  # complete: mean field, no ties stored


def _configuration_ties(network: Any, size: int) -> int:
    """Half the configuration model's stubs: the file's degrees, or the distribution's mean."""
    from sim.scenario.seeds import file_problem

    if network.path is not None:
        degrees, _ = file_problem(network.path, network.column, "degree")
        return int(degrees.sum()) // 2 if degrees is not None else 0  # a bad file is refused elsewhere
    spec = network.degrees
    if spec.mean is not None:
        return math.ceil(size * spec.mean / 2)
    support = np.arange(spec.min or 1, min(spec.max or size - 1, size - 1) + 1, dtype=np.float64)
    weights = support**-spec.exponent
    return math.ceil(size * float(support @ weights / weights.sum()) / 2)


def _edge_list_lines(path: str, source: str) -> int:
    """The lines of an edge-list network's file (at most its ties), after checking that it is a
    non-empty, readable UTF-8 text file; a ScenarioError naming the scenario, key and path if not.
    (Each line's two person ids are checked against market.size when the network is built.)"""
    where = f"{source}: network.path = {path!r}"
    file = Path(path)
    try:
        if not file.exists():
            raise ScenarioError(f"{where}: edge-list file not found")
        if not file.is_file():
            raise ScenarioError(f"{where}: not a file; an edge list is a text file of 'a b' person-id pairs")
        stat = file.stat()
        if stat.st_size == 0:
            raise ScenarioError(
                f"{where}: the edge-list file is empty; it holds one 'a b' pair of person ids a line"
            )
        return _count_lines(str(file), stat.st_mtime_ns, stat.st_size)
    except UnicodeDecodeError as error:
        raise ScenarioError(f"{where}: not UTF-8 text ({error.reason}); an edge list is text") from None
    except OSError as error:
        raise ScenarioError(f"{where}: cannot read the edge-list file: {error.strerror or error}") from None


@functools.lru_cache(maxsize=16)
def _count_lines(path: str, modified_ns: int, size: int) -> int:
    """Lines of a UTF-8 text file (raises UnicodeDecodeError if it is not), read in pieces; cached
    by modification time and size, since every override of the scenario asks again."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 0
    with open(path, "rb") as handle:
        while piece := handle.read(1 << 20):
            decoder.decode(piece)
            lines += piece.count(b"\n")
        decoder.decode(b"", final=True)
    return max(lines, 1)


_memory_read: tuple[float, int | None] = (-math.inf, None)  # (when, bytes): read at most once a second


def available_memory() -> int | None:
    """Bytes this process may still allocate: the system's MemAvailable, or less when a
    control group (a container) limits it; None where neither can be read (not Linux). Read
    at most once a second (a sweep validates hundreds of points)."""
    global _memory_read
    now = time.monotonic()
    if now - _memory_read[0] > 1.0:
        _memory_read = (now, _read_available_memory())
    return _memory_read[1]


def _read_available_memory() -> int | None:
    available = None
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    available = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError, IndexError):
        pass
    if available is None:
        try:
            available = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (AttributeError, ValueError, OSError):
            return None
    for limit_file, usage_file in (
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),  # cgroup v2
        ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes"),
    ):
        try:
            limit = int(Path(limit_file).read_text().strip())  # "max" (no limit) fails here
            usage = int(Path(usage_file).read_text().strip())
        except (OSError, ValueError):
            continue
        available = min(available, max(limit - usage, 0))
    return available


def check_memory(scenario: Sized) -> None:
    """Refuse a market too large for this machine's memory, with the estimate and what is free.

    Raises:
        ScenarioError: naming the file, ``market.size`` (``market.simulated`` when scaled), the estimate and the memory available.
    """
    needed = memory_estimate(scenario)
    available = available_memory()
    if available is None or needed <= available:
        return
    size = scenario.market.people
    key = "market.size" if scenario.market.simulated is None else "market.simulated"
    count = ties(scenario)
    leaving = departures(scenario)
    # The largest market that would fit, at this network's ties and departures a person.
    per_person = (
        MEMORY_BYTES_PER_PERSON + (MEMORY_BYTES_PER_TIE * count + MEMORY_BYTES_PER_DEPARTURE * leaving) / size
    )
    largest = max(0, int((available - MEMORY_FIXED_BYTES) / per_person))
    raise ScenarioError(
        f"{scenario.source or '<scenario>'}: {key} = {size}: too large for this machine's memory: "
        f"a run needs about {needed / 2**30:.1f} GiB ({MEMORY_BYTES_PER_PERSON} bytes a person, "
        f"{MEMORY_BYTES_PER_TIE} a tie for {count:,} ties, {MEMORY_BYTES_PER_DEPARTURE} a departure for "
        f"{leaving:,.0f} expected, {MEMORY_FIXED_BYTES // 2**20} MiB fixed), "
        f"{available / 2**30:.1f} GiB is available; at most about {largest:,} people fit"
    )
