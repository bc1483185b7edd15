"""The client report: `sim report` runs the experiments, executes the report notebook and exports it.

Owns the report, in four parts: :mod:`sim.report.data` (:func:`gather` the runs a report shows and
:class:`ReportData`, the tables and comparison made of them), :mod:`sim.report.metrics` (the
metrics of the comparison table and how each is written), :mod:`sim.report.summary` (the executive
summary in prose, written from the numbers) and :mod:`sim.report.page` (the workflow,
:func:`report` -> :class:`ReportResult`, whose ``write`` executes ``sim/report_template.ipynb`` and
exports ``report.html``; :func:`build_report` for a scenario file). Every public name of the four
is importable from ``sim.report``.

Example:
    >>> REPORT_METRICS[0][:2], TEMPLATE.name
    (('profit', 'profit over the run (margin - marketing spend)'), 'report_template.ipynb')
"""

from sim.report.data import Group, ReportData, compare_groups, gather, referral_cascade
from sim.report.metrics import REPORT_METRICS
from sim.report.page import (
    TEMPLATE,
    ReportResult,
    build_report,
    export_html,
    inject_parameters,
    remote_references,
    report,
    report_facts,
    show,
)
from sim.report.summary import RATIO_SPEND_TOLERANCE, executive_summary

__all__ = [
    "RATIO_SPEND_TOLERANCE",
    "REPORT_METRICS",
    "TEMPLATE",
    "Group",
    "ReportData",
    "ReportResult",
    "build_report",
    "compare_groups",
    "executive_summary",
    "export_html",
    "gather",
    "inject_parameters",
    "referral_cascade",
    "remote_references",
    "report",
    "report_facts",
    "show",
]
