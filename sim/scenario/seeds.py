"""Chosen seeds: ``[firms.<name>.seeds]`` (a firm's first customers) and the lists of people a file holds.

Owns the schema of how a firm's initial customers are chosen (by id list, by file, by a network
measure, by persona or at random), the reading of person-id and degree files (one integer a line,
or a column of a CSV file with a header), and the checks that need the whole scenario: ids within
the market, no person seeded by two firms, counts within the market, files found and readable.
Who is chosen, given the network, is :mod:`sim.seeding`.

Example:
    >>> SeedsConfig(by="pagerank", count=50).count
    50
    >>> SeedsConfig(by="ids", ids=[3, 1, 4]).ids
    [3, 1, 4]
"""

from __future__ import annotations

import csv
import functools
import os
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from sim.values import Real, Strict, Whole

SEED_RULES = ("random", "ids", "file", "degree", "kcore", "pagerank", "persona")
MEASURE_RULES = ("degree", "kcore", "pagerank")
MAX_PEOPLE = 10_000_000_000  # a real market's size at most (sim.scenario.market.MAX_MARKET)
MAX_LISTED = 100_000_000  # people simulated one for one at most: the longest list of ids


class SeedsConfig(Strict):
    """How a firm's initial customers are chosen (instead of ``initial_share`` at random)."""

    by: Literal["random", "ids", "file", "degree", "kcore", "pagerank", "persona"]
    count: Whole | None = Field(None, ge=0, le=MAX_PEOPLE)  # people seeded (or share)
    share: Real | None = Field(None, ge=0, lt=1)  # share of the market seeded (or count)
    ids: list[Whole] | None = Field(None, max_length=MAX_LISTED)  # with by = "ids": person ids (slots)
    path: str | None = None  # with by = "file": one person id a line, or a CSV file with `column`
    column: str | None = None  # with by = "file": the CSV column holding the ids
    persona: str | None = None  # only people of this persona (required with by = "persona")

    @model_validator(mode="after")
    def _keys_fit_the_rule(self) -> SeedsConfig:
        given = {
            key
            for key in ("count", "share", "ids", "path", "column", "persona")
            if getattr(self, key) is not None
        }
        if self.by == "ids":
            needed, allowed = {"ids"}, {"ids"}
        elif self.by == "file":
            needed, allowed = {"path"}, {"path", "column"}
        elif self.by == "persona":
            needed, allowed = {"persona"}, {"persona", "count", "share"}
        else:  # random or a network measure
            needed, allowed = set(), {"count", "share", "persona"}
        missing, extra = needed - given, given - allowed
        if missing:
            raise ValueError(f'by = "{self.by}" needs {", ".join(sorted(missing))}')
        if extra:
            raise ValueError(
                f'by = "{self.by}" takes {", ".join(sorted(allowed))}; remove {", ".join(sorted(extra))}'
            )
        if self.by not in ("ids", "file") and (self.count is None) == (self.share is None):
            raise ValueError(f'by = "{self.by}" needs exactly one of count (people) or share (of the market)')
        return self

    def chosen_count(self, size: int) -> int | None:
        """People this rule seeds in a market of ``size`` (None for a list: its length)."""
        if self.count is not None:
            return self.count
        if self.share is not None:
            return round(self.share * size)
        return None

    @property
    def joins_the_random_draw(self) -> bool:
        """Whether the firm takes part in the initial random draw as ``initial_share`` does
        (``by = "random"`` with a share and no persona): the same people, bit for bit."""
        return self.by == "random" and self.share is not None and self.persona is None


def read_integers(path: str, column: str | None, what: str) -> np.ndarray:
    """The integers of a file: one a line (blank lines and ``#`` comments skipped), or, with
    ``column``, that column of a CSV file whose first row names the columns. Raises ValueError
    naming the line and the value that is not a whole number >= 0; ``what`` names one entry.

    Example:
        >>> import tempfile, os
        >>> folder = tempfile.mkdtemp(); file = os.path.join(folder, "ids.csv")
        >>> _ = open(file, "w").write("id,name\\n4,ann\\n2,bob\\n")
        >>> read_integers(file, "id", "person id").tolist()
        [4, 2]
    """
    stat = os.stat(path)
    return _read_integers(str(Path(path).resolve()), column, what, stat.st_mtime_ns, stat.st_size).copy()


@functools.lru_cache(maxsize=16)
def _read_integers(path: str, column: str | None, what: str, mtime: int, size: int) -> np.ndarray:
    # Cached by modification time: a scenario's files are read when it is checked and again
    # when each replicate is built.
    del mtime, size
    with open(path, encoding="utf-8", newline="") as handle:
        if column is None:
            rows = ((number, line.split("#", 1)[0].strip()) for number, line in enumerate(handle, 1))
            entries = [(number, text) for number, text in rows if text]
        else:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None or column not in [name.strip() for name in header]:
                names = ", ".join(name.strip() for name in header or []) or "none"
                raise ValueError(f"the CSV file has no column {column!r}; its columns: {names}")
            index = [name.strip() for name in header].index(column)
            entries = [
                (number, row[index].strip() if index < len(row) else "")
                for number, row in enumerate(reader, 2)
                if any(cell.strip() for cell in row)
            ]
    values = np.empty(len(entries), dtype=np.int64)
    for position, (number, text) in enumerate(entries):
        try:
            value = int(text)
        except ValueError:
            value = -1
        if value < 0:
            raise ValueError(f"line {number} holds {text!r}; each {what} is a whole number >= 0")
        values[position] = value
    return values


def file_problem(path: str, column: str | None, what: str) -> tuple[np.ndarray | None, str | None]:
    """(the file's integers, None), or (None, what is wrong with it: not found, not a file,
    not UTF-8 text, a bad line)."""
    file = Path(path)
    if not file.exists():
        return None, "file not found"
    if not file.is_file():
        return None, "not a file; give a text file of one " + what + " a line (or a CSV file and column)"
    try:
        return read_integers(path, column, what), None
    except UnicodeDecodeError as error:
        return None, f"not UTF-8 text ({error.reason})"
    except (OSError, ValueError) as error:
        return None, str(error)


def check_id_list(ids: np.ndarray, size: int, where: str, shown: str) -> str | None:
    """What is wrong with a list of person ids in a market of ``size`` people, or None."""
    if ids.size == 0:
        return f"{where} = {shown}: names nobody; give at least one person id"
    outside = np.flatnonzero((ids < 0) | (ids >= size))
    if outside.size:
        return (
            f"{where} = {shown}: names person {int(ids[outside[0]])}; ids must be in 0..{size - 1} "
            f"(market.size = {size})"
        )
    ordered = np.sort(ids)
    repeated = ordered[1:][ordered[1:] == ordered[:-1]]
    if repeated.size:
        return f"{where} = {shown}: names person {int(repeated[0])} twice; each person once"
    return None


def seed_ids(config: SeedsConfig) -> np.ndarray:
    """The person ids a list rule names (``by = "ids"`` or ``"file"``), in the order given."""
    if config.by == "ids":
        return np.asarray(config.ids, dtype=np.int64)
    return read_integers(config.path, config.column, "person id")


def check_seeds(scenario) -> str | None:
    """What is wrong with the scenario's chosen seeds, or None: a file not found or unreadable, ids
    outside the market or repeated, a person in two firms' lists, a persona that does not exist,
    counts beyond the market, a firm that enters later with seeds, and an influencer list outside
    the market. The message names the dotted key, the value and what is allowed."""
    size = scenario.market.size
    scaled = scenario.market.simulated is not None
    entering = {getattr(e, "firm", None) for e in scenario.events if e.kind == "enter"}
    owner: dict[int, str] = {}
    chosen = 0
    for name, firm in scenario.firms.items():
        config = firm.seeds
        if config is None:
            continue
        where = f"firms.{name}.seeds"
        if name in entering:
            return f"{where}.by = {config.by!r}: firm {name!r} enters later and starts with no customers; remove its seeds"
        if firm.initial_share != 0:
            return (
                f"firms.{name}.initial_share = {firm.initial_share}: the firm's initial customers are "
                f"chosen by [{where}]; leave initial_share out (or set it to 0)"
            )
        if config.persona is not None and config.persona not in scenario.personas:
            return (
                f"{where}.persona = {config.persona!r}: no such persona; personas in this scenario: "
                f"{', '.join(scenario.personas)}"
            )
        if scaled and config.by in ("ids", "file"):
            return (
                f"{where}.by = {config.by!r}: a list names people, and with population scaling "
                f"(market.simulated = {scenario.market.simulated}) a simulated person is not a real one; "
                f"choose seeds by count or share"
            )
        count = config.chosen_count(size)
        if count is not None and count > size:
            return f"{where}.count = {count}: more people than the market holds; at most market.size = {size}"
        if config.by in ("ids", "file"):
            if config.by == "file":
                ids, problem = file_problem(config.path, config.column, "person id")
                if problem:
                    return f"{where}.path = {config.path!r}: {problem}"
                shown = repr(config.path)
            else:
                ids = np.asarray(config.ids, dtype=np.int64)
                shown = _short(config.ids)
            key = f"{where}.{'path' if config.by == 'file' else 'ids'}"
            problem = check_id_list(ids, size, key, shown)
            if problem:
                return problem
            for person in ids.tolist():
                if person in owner:
                    return (
                        f"{key} = {shown}: person {person} is seeded by firm {owner[person]!r} too; "
                        f"a person starts as the customer of one firm at most"
                    )
                owner[person] = name
            count = ids.size
        if not config.joins_the_random_draw:
            chosen += count
    random_share = sum(
        (f.seeds.share if f.seeds is not None and f.seeds.joins_the_random_draw else f.initial_share)
        for f in scenario.firms.values()
        if f.seeds is None or f.seeds.joins_the_random_draw
    )
    if chosen > size:
        return f"firms.*.seeds: {chosen} people chosen in all; at most market.size = {size}"
    if chosen and chosen / size + random_share >= 1:
        return (
            f"firms.*.seeds: {chosen} chosen people ({chosen / size:.3g} of the market) and initial "
            f"shares drawn at random of {random_share:.3g} must sum to less than 1"
        )
    return _check_influencer_list(scenario.levers.influencer_seeding, size, scenario.market.simulated)


def _check_influencer_list(config, size: int, simulated: int | None) -> str | None:
    where = "levers.influencer_seeding"
    if simulated is not None and config.target in ("ids", "file"):
        return (
            f"{where}.target = {config.target!r}: a list names people, and with population scaling "
            f"(market.simulated = {simulated}) a simulated person is not a real one; use a measure or random"
        )
    if config.target == "file":
        ids, problem = file_problem(config.path, config.column, "person id")
        if problem:
            return f"{where}.path = {config.path!r}: {problem}"
        return check_id_list(ids, size, f"{where}.path", repr(config.path))
    if config.target == "ids":
        return check_id_list(np.asarray(config.ids, dtype=np.int64), size, f"{where}.ids", _short(config.ids))
    return None


def _short(values: list[int]) -> str:
    """A list as a message shows it: the first few entries."""
    if len(values) <= 8:
        return str(values)
    return "[" + ", ".join(str(v) for v in values[:8]) + f", ... ({len(values)} ids)]"
