"""The result of ``sim discover``: the workflow's entry point, its cases, text, figures and files.

Owns :func:`discover` (the design resolved and run, regret and robustness read, and the
conditions found under which each case holds), the cases of interest (:func:`cases`: by default
"<strategy> wins" for each strategy, the markets where it has the best mean; or the markets where
one strategy wins, or where a strategy misses an outcome's threshold), :class:`DiscoverResult` and
what it writes: ``discover.parquet`` and ``discover.csv`` (the tidy table: market, strategy,
seed, each uncertainty's value, each outcome of the firm), ``markets.csv`` (market -> values),
``regret.csv`` (market x strategy: market means and regrets), ``robustness.csv`` (one row per
strategy), ``robust_choices.csv``, ``discover.json`` (everything), ``conditions/<case>.json``,
``figures/regret.png`` (:mod:`sim.plots.robust`) and, per case with a PRIM box, its
trajectory, the box, the pairs scatter and the tree's rules (:mod:`sim.plots.discover`); the resolved scenario and ``manifest.json``; each file written to a
temporary name and renamed.

Example:
    >>> from sim import load_scenario
    >>> from sim.design import Range
    >>> s = load_scenario("scenarios/conquest_vs_relations.toml", {"market.size": 200, "run.weeks": 6})
    >>> s = s.model_copy(update={"uncertainties": {"firms.rival.price": Range(low=30, high=50)}})
    >>> result = discover(s, samples=4, replicates=2, jobs=1, conditions=False)
    >>> result.table().splitlines()[0]
    "Scenario discovery 'conquest_vs_relations': firm 'us', 2 strategies in 4 markets (lhs over 1 uncertainty) on the same 2 seeds (1-2): 16 runs"
"""

from __future__ import annotations

import math
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.design import outcome
from sim.discover.conditions import find_conditions
from sim.discover.robust import market_means, regret_table, robustness, target_text, winners
from sim.discover.runs import Design, resolve_design, run_design
from sim.manifest import Invocation, scenario_hash, write_manifest
from sim.scenario import Scenario, ScenarioError
from sim.workflow import WorkflowResult

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# What a threshold of --fails looks like: an outcome, < or >, a number.
FAILS = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*([<>])\s*(-?[\d.,eE+-]+)\s*$")


@dataclass
class DiscoverResult(WorkflowResult):
    """What :func:`discover` returns.

    Attributes:
        info: the ``discover.json`` dict (settings, uncertainties, strategies, seeds, robustness,
            robust choices, noise, cases and their conditions).
        table_frame: the tidy table (market x strategy x seed).
        design: the resolved design (markets, strategies, seeds).
        scenario: the scenario the design ran on.
        inputs: the markets as the analysis of conditions reads them (categories as strings).
        case_masks: case name -> one boolean per market.
        invocation: the call and its start, for the manifest.
    """

    info: dict[str, Any]
    table_frame: pd.DataFrame
    design: Design
    scenario: Scenario
    inputs: pd.DataFrame
    case_masks: dict[str, np.ndarray] = field(default_factory=dict)
    invocation: Invocation | None = None

    def table(self) -> str:
        return format_discover(self.info)

    def figures(self) -> dict[str, Figure]:
        """The regret figure, and per case the figures of its conditions."""
        from sim.plots.robust import regret_figure

        out = {"regret": regret_figure(self.info)}
        out.update(condition_figures(self.info, self.inputs, self.case_masks))
        return out

    def write(
        self, out: str | os.PathLike[str], figures: bool = True, invocation: Invocation | None = None
    ) -> Path:
        return write_discover(self, Path(out), figures=figures, invocation=invocation)


# --------------------------------------------------------------------------- cases


def parse_fails(text: str) -> tuple[str, str, float]:
    """``"profit<50000"`` as (outcome, ``<`` or ``>``, threshold).

    Raises:
        ScenarioError: not written OUTCOME<X or OUTCOME>X, or not a per-firm outcome.

    Example:
        >>> parse_fails("profit<50,000")
        ('profit', '<', 50000.0)
    """
    from sim.design import OUTCOMES

    match = FAILS.match(text)
    if not match:
        raise ScenarioError(f"--fails {text!r}: write OUTCOME<X or OUTCOME>X, e.g. --fails 'profit<50000'")
    name, sign, number = match.groups()
    if name not in OUTCOMES:
        raise ScenarioError(
            f"--fails {text!r}: {name!r} is not a per-firm outcome; e.g. profit, customer_equity"
        )
    try:
        threshold = float(number.replace(",", ""))
    except ValueError:
        raise ScenarioError(f"--fails {text!r}: {number!r} is not a number") from None
    return name, sign, threshold


def cases(
    means: pd.DataFrame,
    primary: str,
    strategies: list[str],
    wins: str | None = None,
    fails: str | None = None,
    strategy: str | None = None,
) -> dict[str, dict[str, Any]]:
    """The cases of interest, by name: ``{"mask": one boolean per market, "kind", "strategy", ...}``.

    Args:
        means: market means (index market, strategy).
        primary: the outcome wins are read on.
        strategies: the candidates.
        wins: only the case "<wins> wins" (the markets where it has the best mean).
        fails: ``OUTCOME<X`` (or ``>X``): the markets where ``strategy``'s mean is below (above) X.
        strategy: whose failure ``fails`` reads (default: the best on average on ``primary``).
    """
    best = winners(means, primary)
    if fails is not None:
        name, sign, threshold = parse_fails(fails)
        if name not in means.columns:
            raise ScenarioError(f"--fails {fails!r}: {name} is not kept; add it to [discover] outcomes")
        if strategy is None:
            averages = means[primary].groupby(level="strategy", sort=False).mean()
            strategy = str(averages.idxmin() if outcome(primary).lower_is_better else averages.idxmax())
        values = means[name].xs(strategy, level="strategy")
        mask = (values < threshold) if sign == "<" else (values > threshold)
        label = f"{strategy} {name} {sign} {threshold:,.6g}"
        return {label: {"mask": mask.to_numpy(dtype=bool), "kind": "fails", "strategy": strategy,
                        "outcome": name, "sign": sign, "threshold": threshold}}  # fmt: skip
    chosen = [wins] if wins is not None else strategies
    return {
        f"{name} wins": {"mask": (best == name).to_numpy(dtype=bool), "kind": "wins", "strategy": name}
        for name in chosen
    }


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").lower() or "case"


def analysis_inputs(design: Design) -> pd.DataFrame:
    """The markets as the analysis of conditions reads them: numbers as numbers, any other value
    (a category) as its string."""
    frame = design.markets.copy()
    for key, uncertainty in zip(design.keys, design.uncertainties, strict=True):
        numeric = uncertainty.sampled or all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in uncertainty.values
        )
        frame[key] = frame[key].astype(float) if numeric else frame[key].map(str)
    return frame.reset_index(drop=True)


def conditions_of(inputs: pd.DataFrame, masks: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """Per case, what :func:`sim.discover.conditions.find_conditions` finds: the PRIM box and
    trajectory, the tree's rules and the feature scores (or a note when there is nothing to
    separate: no market, or every market, is a case)."""
    return {name: find_conditions(inputs, mask) for name, mask in masks.items()}


def condition_figures(
    info: Mapping[str, Any], inputs: pd.DataFrame, masks: Mapping[str, np.ndarray]
) -> dict[str, Figure]:
    """Per case with a PRIM box, its trajectory, the box, the pairs scatter and the tree's rules
    (:mod:`sim.plots.discover`)."""
    from sim.plots.discover import box_figure, pairs_figure, prim_trajectory_figure, tree_figure

    out: dict[str, Figure] = {}
    for name, found in (info.get("conditions") or {}).items():
        if not found or found.get("prim") is None:
            continue
        slug = _slug(name)
        out[f"{slug}_prim"] = prim_trajectory_figure(found)
        out[f"{slug}_box"] = box_figure(found, inputs)
        out[f"{slug}_pairs"] = pairs_figure(inputs, masks[name], found)
        if found.get("tree") is not None:
            out[f"{slug}_tree"] = tree_figure(found)
    return out


# --------------------------------------------------------------------------- the workflow


def discover(
    scenario: Scenario,
    samples: int | None = None,
    design: str | None = None,
    replicates: int | None = None,
    seed: int | None = None,
    firm: str | None = None,
    wins: str | None = None,
    fails: str | None = None,
    strategy: str | None = None,
    conditions: bool = True,
    **execution: Any,
) -> DiscoverResult:
    """Run every candidate strategy in every market sampled over the scenario's
    ``[uncertainties]`` on the same seeds, and read regret, robustness and where each case holds.

    Args:
        scenario: a scenario with an ``[uncertainties]`` table (and ``[discover]``, or ``[arms]``).
        samples, design, replicates, seed, firm: replace the ``[discover]`` table's.
        wins: analyse only the markets where this strategy wins.
        fails: ``OUTCOME<X`` (or ``>X``): analyse the markets where ``strategy`` misses X.
        strategy: whose failure ``fails`` reads (default: the best on average).
        conditions: find the conditions of each case (PRIM, tree, scores).
        **execution: ``out`` (run cache: a rerun resumes), ``jobs``, ``cluster``, ``progress`` as
            in :func:`sim.execution.execute`; the numbers do not depend on them.

    Example:
        >>> from sim import load_scenario
        >>> from sim.design import Range
        >>> s = load_scenario("scenarios/conquest_vs_relations.toml", {"market.size": 200, "run.weeks": 6})
        >>> s = s.model_copy(update={"uncertainties": {"firms.rival.price": Range(low=30, high=50)}})
        >>> r = discover(s, samples=4, replicates=2, jobs=1, conditions=False)
        >>> [c["criterion"] for c in r.info["robustness"]["criteria"]][:2]
        ['best_mean', 'minimax_regret']
    """
    invocation = Invocation.api(
        "sim.discover", samples=samples, design=design, replicates=replicates, seed=seed, firm=firm,
        wins=wins, fails=fails, strategy=strategy, **execution,
    )  # fmt: skip
    started = time.perf_counter()
    resolved = resolve_design(
        scenario, samples=samples, design=design, replicates=replicates, seed=seed, firm=firm
    )
    names = list(resolved.strategies)
    for option, value in (("--wins", wins), ("--strategy", strategy)):
        if value is not None and value not in names:
            raise ScenarioError(
                f"{option} {value!r}: not a candidate strategy; strategies: {', '.join(names)}"
            )
    if wins is not None and fails is not None:
        raise ScenarioError("--wins and --fails: give one case of interest, not both")
    if fails is not None:
        parse_fails(fails)  # refused before anything runs
    table = run_design(scenario, resolved, **execution)
    settings = resolved.settings
    primary = settings.outcomes[0]
    read = robustness(table, settings.outcomes, settings.targets, names)
    means = market_means(table, resolved.metrics)
    found = cases(means, primary, names, wins=wins, fails=fails, strategy=strategy)
    inputs = analysis_inputs(resolved)
    masks = {name: case["mask"] for name, case in found.items()}
    info: dict[str, Any] = {
        "scenario": scenario.name,
        "source": scenario.source,
        "hash": scenario_hash(scenario),
        "firm": resolved.firm,
        "settings": settings.model_dump(mode="json", exclude_none=True),
        "design": settings.design,
        "samples": len(resolved.markets),
        "uncertainties": {u.key: u.written() for u in resolved.uncertainties},
        "strategies": resolved.strategies,
        "seeds": resolved.seeds,
        "runs": len(table),
        "outcomes": list(settings.outcomes),
        "robustness": read,
        "cases": {
            name: {k: v for k, v in case.items() if k != "mask"} | {"markets": int(case["mask"].sum())}
            for name, case in found.items()
        },
        "conditions": conditions_of(inputs, masks) if conditions else None,
    }
    info["seconds"] = round(time.perf_counter() - started, 1)
    return DiscoverResult(info, table, resolved, scenario, inputs, masks, invocation)


# --------------------------------------------------------------------------- text


def _number(value: float | None, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    if unit.startswith("share"):
        return f"{value:.0%}"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.3g}"


def _uncertainty_text(key: str, written: Any) -> str:
    if isinstance(written, list):
        return f"{key} in {{{', '.join(map(str, written))}}}"
    if "dist" in written:
        extra = f", mode {written['mode']:g}" if written.get("mode") is not None else ""
        return f"{key} ~ {written['dist']}({written['low']:g} to {written['high']:g}{extra})"
    return f"{key} from {written['low']:g} to {written['high']:g}"


def format_discover(info: Mapping[str, Any]) -> str:
    """The design, the robustness table per strategy, the robust choices with what each gives
    up, the noise behind the verdicts and the conditions of each case, as text."""
    read = info["robustness"]
    primary, seeds = read["primary"], info["seeds"]
    unit = outcome(primary).unit
    count = len(info["uncertainties"])
    seed_text = f"seeds ({seeds[0]}-{seeds[-1]})" if len(seeds) > 1 else f"seed ({seeds[0]})"
    lines = [
        f"Scenario discovery '{info['scenario']}': firm '{info['firm']}', {len(info['strategies'])} strategies in "
        f"{info['samples']} markets ({info['design']} over {count} uncertaint{'y' if count == 1 else 'ies'}) "
        f"on the same {len(seeds)} {seed_text}: {info['runs']} runs",
        "Uncertainties: " + "; ".join(_uncertainty_text(k, w) for k, w in info["uncertainties"].items()),
        "",
        f"Robustness over the {read['markets']} markets (each a mean over its {len(seeds)} seeds; "
        f"regret: the best strategy's {primary} in the market minus this one's; wins: the share of markets "
        "where it is the best (in brackets: by more than the paired 95% interval over the seeds)):",
    ]
    outcomes = info["outcomes"]
    header = ["strategy", *[f"mean {m}" for m in outcomes], f"sd {primary}", f"p10 {primary}",
              f"worst {primary}", "max regret", "p90 regret", "wins"]  # fmt: skip
    has_targets = bool(read["targets"])
    if has_targets:
        header.append("meets targets")
    body = []
    for name, row in read["strategies"].items():
        spread = row["outcomes"][primary]
        cells = [name, *[_number(row["outcomes"][m]["mean"]) for m in outcomes], _number(spread["sd"]),
                 _number(spread["p10"]), _number(spread["worst"]), _number(row["regret"][primary]["max"]),
                 _number(row["regret"][primary]["p90"]), _wins(row)]  # fmt: skip
        if has_targets:
            cells.append(f"{row['satisficing']['all']:.0%}")
        body.append(cells)
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    for cells in [header, *body]:
        lines.append(
            "  "
            + "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            )
        )
    if has_targets:
        shown = "; ".join(target_text(m, _bounds(b)) for m, b in read["targets"].items())
        lines.append(f"  targets (a market meets them when the strategy's mean there does): {shown}")
    lines += ["", "Robust choices (what each gives up against the best on average):"]
    for choice in read["criteria"]:
        lines.append("  " + _choice_text(choice, primary, unit))
    lines += ["", *_noise_lines(read, primary)]
    if info.get("conditions"):
        lines += ["", "Where each case holds (PRIM box; tree rules in conditions/):"]
        for name, found in info["conditions"].items():
            lines.append("  " + _conditions_text(name, info["cases"][name], found, read["markets"]))
    return "\n".join(lines)


def _wins(row: Mapping[str, Any]) -> str:
    """The share of markets won, and in brackets won beyond the noise of the seeds."""
    clear = row.get("wins_beyond_noise")
    return f"{row['wins']:.0%}" + ("" if clear is None else f" ({clear:.0%})")


def _bounds(written: Mapping[str, float]) -> Any:
    from sim.design import Bounds

    return Bounds.model_validate(written)


def _choice_text(choice: Mapping[str, Any], primary: str, unit: str) -> str:
    value = _number(choice["value"], choice["unit"])
    head = f"{choice['name']}: {choice['choice']} ({choice['measure']} {value})"
    if choice["criterion"] == "best_mean":
        return head
    if choice["choice"] == choice["reference"]:
        return f"{head}: the best on average too, nothing given up"
    better = _number(choice["improvement"], choice["unit"])
    reference = _number(choice["reference_value"], choice["unit"])
    given = _number(choice["mean_given_up"])
    text = (
        f"{head}: {better} better on it than {choice['reference']} ({reference}); "
        f"gives up {given} of mean {primary}"
    )
    if primary != "profit" and choice["profit_given_up"] is not None:
        text += f" ({_number(choice['profit_given_up'])} of mean profit)"
    return text


def _noise_lines(read: Mapping[str, Any], primary: str) -> list[str]:
    noise = read["noise"]
    lines = []
    if noise["within"] is None:
        lines.append(
            f"Noise: one seed per market, so no paired interval: whether the best strategy in a market "
            f"beats the second on {primary} beyond the luck of the seed is not known (use replicates >= 2)."
        )
    else:
        lines.append(
            f"Noise: in {noise['within']} of {noise['markets']} markets ({noise['share_within']:.0%}) the best and "
            f"second-best strategies on {primary} are within their paired 95% interval over the "
            f"{noise['replicates']} seeds: those markets' winners rest on the seeds (more replicates would settle them)."
        )
    diff = read.get("mean_difference")
    if diff is not None and diff["mean"] is not None:
        interval = diff["ci95"]
        ci = f" [{_number(interval[0])}, {_number(interval[1])}]" if interval else ""
        verdict = "beyond" if diff["beyond_noise"] else "within"
        lines.append(
            f"Best on average: {diff['best']} ahead of {diff['runner_up']} by {_number(diff['mean'])}{ci} mean "
            f"{primary} (paired over the markets, 95% CI): {verdict} the spread of the design."
        )
    return lines


def _conditions_text(name: str, case: Mapping[str, Any], found: Mapping[str, Any], markets: int) -> str:
    head = f"{name} ({case['markets']} of {markets} markets)"
    if found.get("prim") is None:
        return f"{head}: {found.get('note', 'no box')}"
    box = found["prim"]["box"]
    parts = []
    for key, limit in box.get("limits", {}).items():
        if "kept" in limit:
            parts.append(f"{key} in {{{', '.join(map(str, limit['kept']))}}}")
        else:
            parts.append(f"{_number(limit.get('low'))} <= {key} <= {_number(limit.get('high'))}")
    rule = " and ".join(parts) or "no restriction"
    return f"{head}: {rule} (coverage {box['coverage']:.2f}, density {box['density']:.2f})"


# --------------------------------------------------------------------------- files


def regret_rows(result: DiscoverResult) -> pd.DataFrame:
    """Market x strategy: the market means over the seeds, the regret on each outcome and whether
    the strategy is the market's best (``regret.csv``)."""
    design, info = result.design, result.info
    means = market_means(result.table_frame, design.metrics)
    frame = means.reset_index()
    for metric in info["outcomes"]:
        regrets = regret_table(means, metric).stack().rename(f"regret_{metric}")
        frame = frame.merge(regrets.reset_index(), on=["market", "strategy"])
    best = winners(means, info["robustness"]["primary"]).rename("winner").reset_index()
    frame = frame.merge(best, on="market")
    frame["best"] = frame["strategy"] == frame.pop("winner")
    return frame


def robustness_rows(info: Mapping[str, Any]) -> pd.DataFrame:
    """One row per strategy: each outcome's spread, the regrets, wins and satisficing shares."""
    rows = []
    for name, row in info["robustness"]["strategies"].items():
        flat: dict[str, Any] = {
            "strategy": name,
            "wins": row["wins"],
            "wins_beyond_noise": row["wins_beyond_noise"],
        }
        for metric, spread in row["outcomes"].items():
            flat.update({f"{metric}_{k}": v for k, v in spread.items()})
        for metric, regret in row["regret"].items():
            flat.update({f"regret_{metric}_{k}": v for k, v in regret.items()})
        for target, share in (row["satisficing"] or {}).items():
            flat[f"meets {target}"] = share
        rows.append(flat)
    return pd.DataFrame(rows)


def write_discover(
    result: DiscoverResult, out: Path, figures: bool = True, invocation: Invocation | None = None
) -> Path:
    """Every file of the result (see the module's docstring), each whole or not at all."""
    from sim import __version__
    from sim.files import atomic_write, write_json
    from sim.results import save_figure

    out.mkdir(parents=True, exist_ok=True)
    info = result.info
    table = result.table_frame
    atomic_write(out / "discover.parquet", lambda p: table.to_parquet(p, index=False))
    atomic_write(out / "discover.csv", lambda p: table.to_csv(p, index=False))
    markets = result.design.markets
    atomic_write(out / "markets.csv", lambda p: markets.to_csv(p))
    regrets = regret_rows(result)
    atomic_write(out / "regret.csv", lambda p: regrets.to_csv(p, index=False))
    robust = robustness_rows(info)
    atomic_write(out / "robustness.csv", lambda p: robust.to_csv(p, index=False))
    choices = pd.DataFrame(info["robustness"]["criteria"])
    atomic_write(out / "robust_choices.csv", lambda p: choices.to_csv(p, index=False))
    write_json(out / "discover.json", {**info, "version": __version__})
    if info.get("conditions"):
        (out / "conditions").mkdir(exist_ok=True)
        for name, found in info["conditions"].items():
            write_json(out / "conditions" / f"{_slug(name)}.json", {"name": name, **found})
    atomic_write(out / "scenario.resolved.toml", lambda p: p.write_text(result.scenario.to_toml()))
    if figures:
        for name, figure in result.figures().items():
            save_figure(out / "figures" / f"{name}.png", figure)
    write_manifest(out, result.scenario, info["seeds"], invocation or result.invocation)
    return out
