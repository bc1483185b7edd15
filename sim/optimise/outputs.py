"""What ``sim optimise`` returns and shows: the :class:`Optimisation`, its table, figures and files.

Owns the result of a search (the best plan, the scenario with it written in, the trace of every
candidate, the references), its text (the plan, its objectives on fresh seeds with 95% intervals,
the paired improvement over each built-in strategy, the Pareto front and the robust choice), its
figures (the search's trace, the Pareto front, the robustness across markets) and its files
(``optimisation.json``, the trace, ``references.csv``, a runnable ``best.toml``, ``manifest.json``).

Example:
    >>> _table(["lever", "share"], [["search_ads", "60.0%"]])
    ['lever       share', '----------  -----', 'search_ads  60.0%']
"""

from __future__ import annotations

import math
import os
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.design import Constraint
from sim.manifest import Invocation, write_manifest
from sim.optimise.plan import Plan
from sim.optimise.rivals import PLANS, comparison_table, reactions_table
from sim.optimise.scores import pareto_mask
from sim.scenario import Scenario
from sim.workflow import WorkflowResult

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass
class Optimisation(WorkflowResult):
    """What :func:`sim.optimise.optimise` returns: the best plan, the search, and the methods that show them.

    Attributes:
        best: the best feasible plan (single objective), or the Pareto plan nearest the ideal
            point (several objectives); None when no candidate met the constraints.
        scenario: the scenario with the best plan written in (None without a best plan).
        info: the ``optimisation.json`` dict.
        invocation: the call and its start, for the manifest.
        trace: one row per candidate: ``trial``, ``batch``, ``origin`` (warm start or sampler),
            the plan (``share_<lever>``, ``unspent``, ``budget``, ``start_<lever>``, ``price``), each
            objective's score, ``mean_`` and ``downside_`` per metric, ``feasible``, ``pareto``.
        references: one row per reference strategy with the same score columns (search seeds).
        naive_trace: with ``rivals_respond``, the trace of the naive search (rivals passive).
        naive_scenario: with ``rivals_respond``, the scenario (rivals responding) with the naive plan.

    Example:
        >>> result = optimise(scenario, "us")  # doctest: +SKIP
        >>> print(result.table()); result.write("results/cvr/optimise")  # doctest: +SKIP
    """

    best: Plan | None
    scenario: Scenario | None
    info: dict[str, Any]
    trace: pd.DataFrame
    references: pd.DataFrame
    invocation: Invocation | None = None
    naive_trace: pd.DataFrame | None = None
    naive_scenario: Scenario | None = None

    @property
    def summary(self) -> dict[str, Any]:
        """The ``optimisation.json`` dict (:attr:`info`), by the name every result gives it."""
        return self.info

    def table(self) -> str:
        """The best plan, its objective(s) on fresh seeds with 95% CIs, the paired improvement over
        each reference strategy, the Pareto front and the robust choice, as text."""
        info = self.info
        objectives = list(info["objectives"])
        seeds = info["seeds"]
        warm = sorted(set(self.trace["origin"]) - {"sampler"})
        lines = [
            f"Optimised plan for firm {info['firm']!r} in {info['scenario']!r}: "
            + ", ".join(f"{m} ({'lower' if d == 'minimize' else 'higher'} is better)" for m, d in info["objectives"].items()),
            f"{info['trials']} candidates ({info['sampler']}; warm starts: {', '.join(warm) or 'none'}) x {len(seeds)} "
            f"seeds ({seeds[0]}-{seeds[-1]}) x {len(info['markets'])} market(s); {info['feasible']} met the constraints",
        ]  # fmt: skip
        constraints = info["settings"]["constraints"]
        if info.get("best") is None:
            return "\n".join([*lines, "", info.get("note", "no plan found")])
        best = info["best"]
        plan = best["plan"]
        budget = plan["budget"]
        lines += ["", f"Best plan (trial {best['trial']}, {best['origin']}): {budget:,.0f} per week"]
        rows = [
            [k, f"{v:.1%}", f"{v * budget:,.0f}"]
            for k, v in sorted(plan["shares"].items(), key=lambda kv: -kv[1])
        ]
        if plan["unspent"] > 0:
            rows.append(["(unspent)", f"{plan['unspent']:.1%}", f"{plan['unspent'] * budget:,.0f}"])
        for lever, week in plan["start_weeks"].items():
            rows.append([f"{lever} starts in week", str(week), ""])
        lines += ["  " + line for line in _table(["lever", "share", "per week"], rows)]
        if plan.get("price") is not None:
            lines.append(
                f"  price {plan['price']:,.2f} from week {plan['price_from']} (before it the list price)"
            )
        if constraints:
            row = self.trace[self.trace["trial"] == best["trial"]].iloc[0]
            how = "downside" if info["scored_on"] == "downside" else "mean"
            met = [
                f"{Constraint.of(m, b).describe()}: {_number(row[f'{how}_{m}'])}"
                for m, b in constraints.items()
            ]
            lines.append("constraints met (search seeds): " + "; ".join(met))
        confirmation = info["confirmation"]
        fresh = confirmation["seeds"]
        score = (
            "" if info["scored_on"].startswith("mean (one") else f", {info['scored_on']} across the markets"
        )
        lines += [
            "",
            f"On {len(fresh)} fresh seeds ({fresh[0]}-{fresh[-1]}){score}: "
            + (
                "mean [95% CI]"
                if confirmation["method"] == "t"
                else "value [95% CI, paired bootstrap over the seeds]"
            ),
        ]
        labels = list(confirmation["metrics"][objectives[0]]["arms"])
        body = []
        for label in labels:
            cells = []
            for metric in objectives:
                arm = confirmation["metrics"][metric]["arms"][label]
                interval = arm["ci95"]
                cells.append(
                    _number(arm["mean"])
                    + (f" [{_number(interval[0])}, {_number(interval[1])}]" if interval else "")
                )
            body.append([{"best": "best plan", "naive": "naive plan"}.get(label, label), *cells])
        lines += ["  " + line for line in _table(["strategy", *objectives], body)]
        lines += [
            "",
            "Improvement of the best plan over each reference, paired by seed: difference [95% CI], P(plan better)",
        ]
        body = []
        for label in labels[1:]:
            cells = []
            for metric in objectives:
                d = confirmation["metrics"][metric]["differences"][label]
                if d["mean"] is None:
                    cells.append("n/a")
                    continue
                interval = d["ci95"]
                text = _signed(d["mean"]) + (
                    f" [{_signed(interval[0])}, {_signed(interval[1])}]" if interval else ""
                )
                cells.append(
                    f"{text}, {100 * d['prob_better']:.0f}%" if d["prob_better"] is not None else text
                )
            body.append(["naive plan" if label == "naive" else label, *cells])
        lines += ["  " + line for line in _table(["over", *objectives], body)]
        if "pareto_front" in info:
            lines += [
                "",
                f"Pareto front ({len(info['pareto_front'])} plans, search seeds; * = the best plan above):",
            ]
            front = sorted(info["pareto_front"], key=lambda p: p[objectives[0]])
            body = [
                [("* " if p["trial"] == best["trial"] else "  ") + str(p["trial"]), *(_number(p[m]) for m in objectives),
                 textwrap.shorten(p["plan"]["summary"], 70)]
                for p in front
            ]  # fmt: skip
            plan_column = frozenset({0, len(objectives) + 1})
            lines += ["  " + line for line in _table(["trial", *objectives, "plan"], body, plan_column)]
        if "robust" in info:
            robust = info["robust"]
            lines += [
                "",
                f"Robustness across {len(info['markets'])} markets ({robust['downside']} as the downside):",
            ]
            for index, market in enumerate(info["markets"]):
                shown = (
                    ", ".join(f"{k} = {_short(v)}" for k, v in market.items())
                    or "nominal (the scenario as it is)"
                )
                lines.append(f"  market {index}: {shown}")
            for how in ("downside", "mean"):
                choice = robust[f"best_on_{how}"]
                lines.append(
                    f"  best on the {how}: trial {choice['trial']}, mean {_number(choice['mean'])}, "
                    f"downside {_number(choice['downside'])}: {textwrap.shorten(choice['plan']['summary'], 80)}"
                )
        if "response_comparison" in info:
            lines += ["", *response_lines(info["response_comparison"], info)]
        elif info.get("naive") is not None and info["naive"].get("note"):
            lines += ["", f"Naive search (rivals passive): {info['naive']['note']}; no comparison."]
        return "\n".join(lines)

    def figures(self) -> dict[str, Figure]:
        """``search`` (the trace), ``pareto`` (several objectives) and ``robustness`` (several
        markets), for a search that evaluated candidates."""
        if not len(self.trace):
            return {}
        out = {"search": search_figure(self)}
        if len(self.info["objectives"]) > 1 and self.scenario is not None:
            out["pareto"] = pareto_front_figure(self)
        if "robust" in self.info:
            out["robustness"] = robustness_figure(self)
        if "response_comparison" in self.info:
            out["response_comparison"] = response_figure(self.info)
        return out

    def write(
        self, out: str | os.PathLike[str], figures: bool = True, invocation: Invocation | None = None
    ) -> Path:
        """``optimisation.json``, ``trace.parquet`` and ``trace.csv`` (every candidate),
        ``references.csv``, ``best.toml`` (the scenario with the best plan written in; ``sim run``
        and :func:`sim.load_scenario` read it), ``figures/`` (search, Pareto, robustness) and
        ``manifest.json`` (``invocation``, e.g. the command line, replaces the result's own)."""
        from sim import __version__
        from sim.files import atomic_write, write_json
        from sim.results import save_figure

        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        info = self.info
        write_json(out / "optimisation.json", {**_json_safe(info), "version": __version__})
        atomic_write(out / "trace.parquet", lambda p: self.trace.to_parquet(p, index=False))
        atomic_write(out / "trace.csv", lambda p: self.trace.to_csv(p, index=False))
        atomic_write(out / "references.csv", lambda p: self.references.to_csv(p, index=False))
        if self.scenario is not None:
            best = info["best"]
            objectives = ", ".join(f"{m} {_number(v)}" for m, v in best["search"].items())
            header = [
                f"# Best plan for firm {info['firm']!r} found by `sim optimise` ({info['trials']} candidates x "
                f"{len(info['seeds'])} seeds x {len(info['markets'])} market(s); {objectives} on the search seeds).",
                f"#   {best['plan']['summary']}",
                "# Run it: sim run <this file>   (the plan is the strategy sim.optimise:BudgetPlan)",
            ]
            text = "\n".join(header) + "\n" + self.scenario.to_toml()
            atomic_write(out / "best.toml", lambda p: p.write_text(text))
        self._write_naive(out)
        if figures:
            for stem, figure in self.figures().items():
                save_figure(out / "figures" / f"{stem}.png", figure)
        seeds = [*info["seeds"], *info.get("confirmation", {}).get("seeds", [])]  # search, then fresh
        write_manifest(out, info, seeds, invocation or self.invocation)
        return out

    def _write_naive(self, out: Path) -> None:
        """With ``rivals_respond``: ``naive_trace.csv``, ``naive_best.toml`` (the naive plan in the
        scenario as given, rivals responding: ``sim run`` it to see how it fares against them),
        ``response_comparison.json`` and ``.csv``, ``response_reactions.csv``."""
        from sim.files import atomic_write, write_json

        info = self.info
        if self.naive_trace is not None:
            atomic_write(out / "naive_trace.csv", lambda p: self.naive_trace.to_csv(p, index=False))
        if self.naive_scenario is not None:
            naive = info["naive"]["best"]
            objectives = ", ".join(f"{m} {_number(v)}" for m, v in naive["search"].items())
            header = [
                f"# Naive plan for firm {info['firm']!r} found by `sim optimise --rivals-respond`: optimised "
                f"against passive rivals ({objectives} there, on the search seeds).",
                f"#   {naive['plan']['summary']}",
                "# This file runs it against the rivals as the scenario gives them (responding): sim run <this file>",
            ]
            text = "\n".join(header) + "\n" + self.naive_scenario.to_toml()
            atomic_write(out / "naive_best.toml", lambda p: p.write_text(text))
        comparison = info.get("response_comparison")
        if comparison is not None:
            write_json(out / "response_comparison.json", _json_safe(comparison))
            table = comparison_table(comparison)
            atomic_write(out / "response_comparison.csv", lambda p: table.to_csv(p, index=False))
            reactions = reactions_table(comparison)
            atomic_write(out / "response_reactions.csv", lambda p: reactions.to_csv(p, index=False))


LABELS = {
    "profit": "profit (currency, margin - spend)",
    "customer_equity": "customer equity at the end (currency, net of retention cost, discounted)",
    "total_value": "discounted profit + discounted customer equity (currency)",
    "customers_end": "customers at the end (people)",
    "retention_yearly": "retention per year (share)",
    "cac": "CAC, acquisition-only (currency per customer won)",
    "cac_fully_loaded": "CAC, fully loaded (currency per customer won)",
    "ltv": "LTV gross per customer won (currency)",
    "ltv_net": "LTV net of retention cost per customer won (currency)",
    "ltv_cac": "LTV gross / acquisition-only CAC",
    "ltv_net_cac_fully_loaded": "LTV net / fully loaded CAC",
}


def search_figure(result: Optimisation) -> Figure:
    """The trace of the search: each candidate's score of the (first) objective by trial, the best
    feasible so far, and the reference strategies as horizontal lines.

    Example:
        >>> figure = search_figure(optimise(scenario, "us"))  # doctest: +SKIP
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import StrMethodFormatter

    from sim.plots import PALETTE

    info, trace = result.info, result.trace
    metric = next(iter(info["objectives"]))
    minimise = info["objectives"][metric] == "minimize"
    figure, axis = plt.subplots(figsize=(9.5, 5.2), layout="constrained")
    feasible = trace[trace["feasible"]]
    missed = trace[~trace["feasible"]]
    warm = feasible[feasible["origin"] != "sampler"]
    axis.scatter(feasible["trial"], feasible[metric], s=18, color="#7f7f7f", label="candidate plan")
    if len(missed):
        axis.scatter(missed["trial"], missed[metric], s=18, facecolors="none", edgecolors="#7f7f7f",
                     label="missed a constraint")  # fmt: skip
    if len(warm):
        axis.scatter(warm["trial"], warm[metric], s=40, marker="D", color=PALETTE[4],
                     label="warm start (a static built-in split)")  # fmt: skip
    values = trace[metric].where(trace["feasible"]).to_numpy(dtype=float)
    running = pd.Series(values).cummin() if minimise else pd.Series(values).cummax()
    axis.step(trace["trial"], running, where="post", color=PALETTE[0], linewidth=2, label="best so far")
    for k, (_, row) in enumerate(result.references.iterrows()):
        if math.isfinite(row[metric]):
            colour = PALETTE[2 + k % (len(PALETTE) - 2)]
            axis.axhline(row[metric], color=colour, linestyle="--", linewidth=1)
            axis.annotate(row["strategy"], (0, row[metric]), xycoords=("axes fraction", "data"),
                          xytext=(2, 2), textcoords="offset points", fontsize=8, color=colour)  # fmt: skip
    axis.set_xlabel("candidate (trial number, in the order asked)")
    if np.nanmax(np.abs(trace[metric].to_numpy(dtype=float))) >= 1000:
        axis.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    how = "" if info["scored_on"].startswith("mean (one") else f", {info['scored_on']} across markets"
    axis.set_ylabel(f"{LABELS.get(metric, metric)}{how}")
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8, loc="lower right" if not minimise else "upper right")
    references = result.references.set_index("strategy")[metric].dropna()
    if info.get("best") is not None and len(references):
        best_reference = references.idxmin() if minimise else references.idxmax()
        axis.set_title(
            textwrap.fill(
                f"Search for the plan of firm {info['firm']!r}: {metric} {_number(info['best']['search'][metric])} "
                f"against {_number(references[best_reference])} for the best built-in ({best_reference}), "
                f"{info['trials']} candidates on seeds {info['seeds'][0]}-{info['seeds'][-1]}",
                95,
            ),
            fontsize=10,
        )
    return figure


def _number(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def pareto_front_figure(result: Optimisation) -> Figure:
    """The Pareto front of the plans on the objectives, the references placed on it, the chosen plan starred."""
    from sim.plots import pareto_figure

    info = result.info
    metrics = list(info["objectives"])
    minimise = [d == "minimize" for d in info["objectives"].values()]
    chosen = int(result.trace.index[result.trace["trial"] == info["best"]["trial"]][0])
    return pareto_figure(
        result.trace, metrics, minimise, result.references, chosen, LABELS,
        f"Pareto front of the plans of firm {info['firm']!r} in {info['scenario']!r}: no plan on the front can "
        f"improve one objective without losing on another\n{info['trials']} candidates on seeds "
        f"{info['seeds'][0]}-{info['seeds'][-1]}; built-in strategies placed on the same seeds; star: the "
        "plan nearest the ideal point",
    )  # fmt: skip


def robustness_figure(result: Optimisation) -> Figure:
    """The target metric's mean across markets against its downside, for every candidate."""
    from sim.plots import pareto_figure

    info = result.info
    metric = info["robust"]["metric"]
    minimise = info["objectives"][metric] == "minimize"
    columns = [f"mean_{metric}", f"downside_{metric}"]
    table = result.trace.copy()
    table["pareto"] = False
    feasible = table[table["feasible"]]
    table.loc[feasible.index, "pareto"] = pareto_mask(feasible[columns].to_numpy(dtype=float), [minimise] * 2)
    chosen = int(table.index[table["trial"] == info["robust"]["best_on_downside"]["trial"]][0])
    labels = {
        columns[0]: f"mean {metric} over the markets",
        columns[1]: f"{metric} in the {info['downside']}",
    }
    return pareto_figure(
        table, columns, [minimise] * 2, result.references, chosen, labels,
        f"Robustness of the plans of firm {info['firm']!r} across {len(info['markets'])} markets: the star is "
        f"the plan best in the {info['downside']}; the front trades the average market against the bad one",
    )  # fmt: skip


def _json_safe(value: Any) -> Any:
    """NaN and infinity to None (JSON has neither), NumPy scalars to Python ones."""
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _signed(value: float | None) -> str:
    if value is None:
        return "n/a"
    return ("+" if value >= 0 else "-") + _number(abs(value))


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _table(header: list[str], body: list[list[str]], left: frozenset[int] = frozenset({0})) -> list[str]:
    """Aligned columns: the ``left`` ones to the left, the rest (numbers) to the right."""
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(widths[i]) if i in left else c.rjust(widths[i]) for i, c in enumerate(cells)
        ).rstrip()

    return [line(header), "  ".join("-" * w for w in widths), *(line(row) for row in body)]


def write_optimisation(
    result: Optimisation,
    out: str | os.PathLike[str],
    figures: bool = True,
    invocation: Invocation | None = None,
) -> Path:
    """``result.write(out, figures, invocation)``: the files of :meth:`Optimisation.write`.

    Example:
        >>> write_optimisation(optimise(scenario, "us"), "results/cvr/optimise")  # doctest: +SKIP
    """
    return result.write(out, figures=figures, invocation=invocation)


def format_optimisation(result: Optimisation) -> str:
    """``result.table()``: the best plan and how it compares, as text.

    Example:
        >>> print(format_optimisation(optimise(scenario, "us")))  # doctest: +SKIP
    """
    return result.table()


# --------------------------------------------------------------------------- plans that expect a response


def response_lines(comparison: dict[str, Any], info: dict[str, Any]) -> list[str]:
    """The text of the naive plan against the response-aware plan (``response_comparison``).

    Example:
        >>> print("\\n".join(response_lines(result.info["response_comparison"], result.info)))  # doctest: +SKIP
    """
    rivals = ", ".join(f"{name} = {personality}" for name, personality in comparison["rivals"].items())
    seeds = comparison["seeds"]
    plans = comparison["plans"]
    lines = [f"Plans that expect a response (rivals responding: {rivals}):"]
    for key in ("naive", "aware"):
        plan = plans[key]
        lines.append(
            f"  {PLANS[key]} (searched against {plan['searched_against']}, trial {plan['trial']}): "
            + textwrap.shorten(plan["plan"]["summary"], 80)
        )
    if comparison["same_plan"]:
        lines.append("  both searches chose the same plan, so the difference below is 0 by construction")
    method = (
        "mean [95% CI]" if comparison["method"] == "t" else "value [95% CI, paired bootstrap over the seeds]"
    )
    lines += ["", f"Both plans on the same {len(seeds)} fresh seeds ({seeds[0]}-{seeds[-1]}): {method}"]
    for metric, block in comparison["metrics"].items():
        better = "lower" if block["direction"] == "minimize" else "higher"
        body = []
        for key in ("aware", "naive", "difference"):
            label = "aware - naive" if key == "difference" else PLANS[key]
            cells = []
            for rivals in ("responsive", "passive"):
                cell = block[rivals][key]
                text = (_signed if key == "difference" else _number)(cell["mean"])
                if cell.get("ci95"):
                    low, high = cell["ci95"]
                    shown = _signed if key == "difference" else _number
                    text += f" [{shown(low)}, {shown(high)}]"
                if key == "difference" and cell.get("prob_better") is not None:
                    text += f", P(aware better) {100 * cell['prob_better']:.0f}%"
                cells.append(text)
            body.append([label, *cells])
        header = [f"{metric} ({better} is better)", "rivals responding", "rivals passive"]
        lines += ["  " + line for line in _table(header, body)]
        lines.append(f"  Against the responding rivals: {block['responsive']['verdict']['text']}.")
    runs = comparison["reactions"]["aware"][0]["runs"] if comparison["reactions"]["aware"] else 0
    lines += ["", f"Reactions each plan provoked (rivals responding, {runs} runs per plan: seeds x markets):"]
    body = [
        [PLANS[plan], row["rival"], row["rule"], f"{row['runs_provoked']} of {row['runs']}",
         _number(row["reactions_per_run"]),
         "-" if row["first_week_mean"] is None else f"{row['first_week_mean']:.1f} ({row['first_week_earliest']})"]
        for plan in ("naive", "aware")
        for row in comparison["reactions"][plan]
    ]  # fmt: skip
    header = ["plan", "rival", "rule", "runs provoked", "reactions/run", "first week: mean (earliest)"]
    lines += ["  " + line for line in _table(header, body, frozenset({0, 1, 2}))]
    return lines


def response_figure(info: dict[str, Any]) -> Figure:
    """Each objective of the naive and the response-aware plan with its 95% CI on the same fresh
    seeds, against the responding rivals (filled) and passive ones (hollow), and below it the
    paired difference aware - naive with its 95% CI; the title states the values against the
    responding rivals and the verdict. ``figure.claims`` holds the numbers the title states.

    Example:
        >>> figure = response_figure(result.info)  # doctest: +SKIP
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import StrMethodFormatter

    from sim.plots import PALETTE

    comparison = info["response_comparison"]
    metrics = list(comparison["metrics"])
    seeds = len(comparison["seeds"])
    width = max(8.0, 4.8 * len(metrics) + 1.5)
    figure, grid = plt.subplots(
        2, len(metrics), figsize=(width, 7.0), layout="constrained", squeeze=False,
        gridspec_kw={"height_ratios": [3, 1.4]},
    )  # fmt: skip
    order = ("naive", "aware")
    styles = (("responsive", -0.08, PALETTE[0], "rivals responding"),
              ("passive", 0.08, PALETTE[7], "rivals passive (what the naive search saw)"))  # fmt: skip
    for column, metric in enumerate(metrics):
        block = comparison["metrics"][metric]
        axis, below = grid[0, column], grid[1, column]
        for row, (rivals, offset, colour, label) in enumerate(styles):
            means = [block[rivals][plan]["mean"] for plan in order]
            y, err = _points_with_errors(means, [block[rivals][plan].get("ci95") for plan in order])
            face = colour if rivals == "responsive" else "white"
            axis.errorbar(np.arange(len(order)) + offset, y, yerr=err, fmt="o", capsize=5, color=colour,
                          markersize=8, markerfacecolor=face, label=label)  # fmt: skip
            difference = block[rivals]["difference"]
            dy, derr = _points_with_errors([difference["mean"]], [difference.get("ci95")])
            below.errorbar(dy, [row], xerr=derr, fmt="o", capsize=5, color=colour, markersize=7,
                           markerfacecolor=face)  # fmt: skip
        axis.set_xticks(range(len(order)), [_plan_label(p, comparison["plans"][p]["plan"]) for p in order])
        axis.set_xlim(-0.5, len(order) - 0.5)
        axis.set_ylabel(f"{metric}, mean over {seeds} fresh seeds")
        axis.set_title(LABELS.get(metric, metric), fontsize=9)
        axis.grid(alpha=0.3, axis="y")
        axis.margins(y=0.2)
        below.axvline(0.0, color="black", linewidth=1)
        below.set_yticks([0, 1], ["rivals responding", "rivals passive"])
        below.set_ylim(-0.6, 1.6)
        below.margins(x=0.15)
        below.set_xlabel(f"aware - naive in {metric}, paired by seed (95% CI)")
        below.grid(alpha=0.3, axis="x")
        for target, which in ((axis, axis.yaxis), (below, below.xaxis)):
            if np.nanmax(np.abs(target.get_ylim() if which is axis.yaxis else target.get_xlim())) >= 1000:
                which.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    grid[0, 0].legend(fontsize=8, loc="upper left")
    first = metrics[0]
    block = comparison["metrics"][first]["responsive"]
    rivals = ", ".join(f"{name}: {p}" for name, p in comparison["rivals"].items())
    aware, naive = block["aware"]["mean"], block["naive"]["mean"]
    figure.suptitle(
        textwrap.fill(
            f"Against responding rivals ({rivals}): {first} {_number(aware)} for the response-aware plan, "
            f"{_number(naive)} for the naive plan; {block['verdict']['text']}",
            int(width * 12),  # about 12 characters an inch at this size
        ),
        fontsize=10,
    )
    figure.claims = {  # type: ignore[attr-defined]
        "figure": "response_comparison",
        "metric": first,
        "aware": aware,
        "naive": naive,
        "clear": block["verdict"]["clear"],
        "winner": block["verdict"]["winner"],
    }
    return figure


def _plan_label(key: str, plan: dict[str, Any]) -> str:
    """A plan's name on an axis, with its price (and first week) when the price was chosen."""
    if plan.get("price") is None:
        return PLANS[key]
    return f"{PLANS[key]}\nprice {plan['price']:,.2f} from week {plan['price_from']}"


def _points_with_errors(
    means: list[float | None], intervals: list[list[float] | None]
) -> tuple[np.ndarray, np.ndarray]:
    """Values and their (below, above) error bar lengths from 95% intervals (none: no bar)."""
    y = np.array([np.nan if m is None else m for m in means], dtype=float)
    err = np.array(
        [
            [m - i[0], i[1] - m] if i and m is not None else [0.0, 0.0]
            for m, i in zip(means, intervals, strict=True)
        ]
    ).T
    return y, err
