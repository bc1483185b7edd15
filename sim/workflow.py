"""The shape every workflow's result shares: write its files, print its table, draw its figures.

A workflow is a function taking a :class:`sim.scenario.Scenario` (and its own settings) and
returning a result that subclasses :class:`WorkflowResult`. The command line only calls these three
methods, so a new workflow needs no formatting code of its own in ``sim.cli``.

Example:
    >>> class Nothing(WorkflowResult):
    ...     def table(self) -> str:
    ...         return "nothing to show"
    >>> Nothing().table(), Nothing().figures()
    ('nothing to show', {})
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure


class WorkflowResult(ABC):
    """What a workflow returns. Subclasses keep their numbers as attributes (``summary``,
    ``table_frame``, ...) and implement :meth:`table`; :meth:`write` and :meth:`figures` as they
    have files and figures."""

    @abstractmethod
    def table(self) -> str:
        """The result as the text the command line prints."""

    def figures(self) -> dict[str, Figure]:
        """The result's figures by file stem (none by default)."""
        return {}

    def write(self, out: str | os.PathLike[str], figures: bool = True) -> Path:
        """Write the result's files into ``out`` (each whole or not at all) and return the folder."""
        raise NotImplementedError(f"{type(self).__name__} writes no files")
