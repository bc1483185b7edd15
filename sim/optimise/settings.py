"""The settings of ``sim optimise``: from the scenario's ``[optimise]`` table, the command line and the API.

Owns how settings are given and merged: :func:`settings_from_options` reads the command line's
text (``--share search_ads=0.1:0.5``, ``--constraint cac<=150`` ...), :func:`resolve_settings`
lays the given settings over the file's table (the plan space part by part: the levers, their
share bounds, their start weeks) and validates them as a :class:`sim.design.OptimiseConfig`, and
every refusal names the command-line option or the file's ``[optimise]`` key, the value and what is
allowed. What a setting must satisfy against its scenario is the design's rule
(:func:`sim.design.check_optimise`); this module only says where a setting came from.

Example:
    >>> from sim import load_scenario
    >>> s = load_scenario("scenarios/conquest_vs_relations.toml")
    >>> resolve_settings(s, {"objectives": ["profit"], "trials": 8}).trials
    8
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from sim.design import OLDER_PLAN_KEYS, OptimiseConfig, check_optimise, fail
from sim.scenario import Scenario, ScenarioError, parse_value

# The command-line option behind each setting, for error messages.
OPTIONS = {
    "firm": "--firm", "objectives": "--objective", "levers": "--lever", "shares": "--share",
    "spend_all": "--spend-all", "budget": "--budget", "price": "--price", "price_from": "--price-from",
    "start_weeks": "--start-week",
    "constraints": "--constraint", "uncertainties": "--uncertainty",
    "market_scenarios": "--market-scenarios", "downside": "--downside", "robust": "--robust",
    "trials": "--trials", "runs": "--runs", "confirm_runs": "--confirm-runs", "batch": "--batch",
    "sampler": "--sampler", "seed": "--seed", "rivals_respond": "--rivals-respond",
}  # fmt: skip
# A part of the plan space (a key of a lever's decision) and the setting that gives it.
PARTS = {"lever": "levers", "share": "shares", "start_week": "start_weeks"}


def resolve_settings(
    scenario: Scenario, given: Mapping[str, Any] | OptimiseConfig | None = None
) -> OptimiseConfig:
    """The scenario's ``[optimise]`` table with ``given`` settings (e.g. from the command line)
    replacing its values, validated and checked against the scenario.

    ``given`` holds any setting of :class:`sim.design.OptimiseConfig`; the plan space may come as
    ``decisions`` (replacing the table's) or as the command line's ``levers``, ``shares`` and
    ``start_weeks``, each replacing that part of the table's decisions. An ``OptimiseConfig`` is a
    complete set of settings and replaces the table.

    Example:
        >>> from sim import load_scenario
        >>> s = load_scenario("scenarios/conquest_vs_relations.toml")
        >>> resolve_settings(s, {"levers": ["search_ads"], "shares": {"search_ads": {"low": 0.2}}}).decision_list()
        [Decision(lever='search_ads', share=(0.2, 1.0), start_week=None)]
    """
    given = {k: v for k, v in dict(given or {}).items() if v is not None}
    allowed = [*OptimiseConfig.model_fields, *OLDER_PLAN_KEYS]
    unknown = sorted(set(given) - set(allowed))
    if unknown:
        raise ScenarioError(
            f"unknown optimise setting {unknown[0]!r}; allowed: {', '.join(OPTIONS)}, decisions"
        )
    table = scenario.optimise.model_dump(exclude_unset=True) if scenario.optimise is not None else {}
    merged = _merged(table, given)
    source = scenario.source or scenario.name
    try:
        settings = OptimiseConfig.model_validate(merged)
    except ValidationError as error:
        raise _refusal(error, merged, given, source) from None
    options = {part: OPTIONS[name] for part, name in PARTS.items() if name in given}
    options.update({name: OPTIONS[name] for name in given if name in OPTIONS and name not in PARTS.values()})
    if "decisions" in given:  # a plan space given whole (the API) is named as the setting
        options.update({part: "decisions" for part in PARTS})
    check_optimise(scenario, settings, options)
    return settings


def _merged(table: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """``given`` over ``table``; the command line's plan parts each replace that part of the
    table's decisions (its levers, their shares, their start weeks)."""
    parts = set(OLDER_PLAN_KEYS) & set(given)
    if not parts or "decisions" in given:
        return {**table, **given}
    decisions = table.pop("decisions", None)
    older: dict[str, Any] = {}
    if decisions is not None:
        older["levers"] = list(decisions)
        older["shares"] = {k: d["share"] for k, d in decisions.items() if d.get("share") is not None}
        older["start_weeks"] = {
            k: d["start_week"] for k, d in decisions.items() if d.get("start_week") is not None
        }
    older.update({k: given[k] for k in parts})
    if older.get("levers") is not None:  # bounds of levers the command line left out of the plan go
        kept = set(older["levers"])
        for name in ("shares", "start_weeks"):
            if name not in given and name in older:
                older[name] = {k: v for k, v in older[name].items() if k in kept}
    return {**table, **{k: v for k, v in given.items() if k not in parts}, **older}


def _refusal(
    error: ValidationError, merged: Mapping[str, Any], given: Mapping[str, Any], source: str
) -> ScenarioError:
    """The first problem of ``error``, named by the option (given) or the ``[optimise]`` key (the file)."""
    item = error.errors()[0]
    loc = [str(part) for part in item["loc"] if not (isinstance(part, str) and part[:1].isupper())]
    problem = item["msg"].removeprefix("Value error, ")
    name = loc[0] if loc else "(settings)"
    if name == "decisions" and len(loc) > 2 and PARTS.get(loc[2]) in given:
        return fail(f"{OPTIONS[PARTS[loc[2]]]}.{loc[1]}", item.get("input"), problem)
    if name in OPTIONS and name in given:
        return fail(
            OPTIONS[name] + "".join(f".{p}" for p in loc[1:2]), merged.get(name, item.get("input")), problem
        )
    if not loc:
        return ScenarioError(f"{source}: [optimise] {problem}")
    return fail(f"{source}: [optimise] {'.'.join(loc)}", item.get("input"), problem)


def _parse_number(text: str, option: str, whole: str, example: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ScenarioError(
            f"{option} {whole!r}: {text!r} is not a number; e.g. {option} {example}"
        ) from None
    if not math.isfinite(value):
        raise ScenarioError(f"{option} {whole!r}: {text!r} is not a finite number; e.g. {option} {example}")
    return value


def _pair(text: str, option: str, example: str) -> tuple[str, str, str]:
    key, sep, rest = text.partition("=")
    low, colon, high = rest.partition(":")
    if not sep or not colon or not key.strip():
        raise ScenarioError(f"{option} {text!r}: expected {example.split(' ')[0]}")
    return key.strip(), low.strip(), high.strip()


def settings_from_options(
    objectives: Sequence[str] | None = None,
    levers: Sequence[str] | None = None,
    shares: Sequence[str] | None = None,
    spend_all: bool | None = None,
    budget: str | None = None,
    start_weeks: Sequence[str] | None = None,
    constraints: Sequence[str] | None = None,
    uncertainties: Sequence[str] | None = None,
    price: str | None = None,
    **plain: Any,
) -> dict[str, Any]:
    """Settings from command-line text (``--share search_ads=0.1:0.5``, ``--constraint cac<=150``,
    ``--uncertainty firms.rival.strategy=relations,conquest`` ...); options not given are left
    out, so the scenario's ``[optimise]`` values stand. ``plain`` settings pass through.

    The plan space comes as ``levers``, ``shares`` and ``start_weeks`` (the options ``--lever``,
    ``--share`` and ``--start-week``; merged with the file's ``[optimise.decisions]`` by
    :func:`resolve_settings`), every range and bound as ``{low, high}``; ``budget`` and ``price``
    (``--budget``, ``--price``) are ``LOW:HIGH`` text, ``price_from`` (``--price-from``) a week.

    Example:
        >>> settings_from_options(shares=["search_ads=:0.5"], constraints=["retention_yearly>=0.8"])
        {'shares': {'search_ads': {'high': 0.5}}, 'constraints': {'retention_yearly': {'low': 0.8}}}
        >>> settings_from_options(price="28:40", price_from=13)
        {'price_from': 13, 'price': {'low': 28.0, 'high': 40.0}}
    """
    out: dict[str, Any] = {k: v for k, v in plain.items() if v is not None}
    if objectives:
        out["objectives"] = list(objectives)
    if levers:
        out["levers"] = list(levers)
    if spend_all is not None:
        out["spend_all"] = spend_all
    if shares:
        out["shares"] = {}
        for text in shares:
            lever, low, high = _pair(text, "--share", "LEVER=MIN:MAX, e.g. search_ads=0.1:0.5")
            bound = {}
            if low:
                bound["low"] = _parse_number(low, "--share", text, "search_ads=0.1:0.5")
            if high:
                bound["high"] = _parse_number(high, "--share", text, "search_ads=0.1:0.5")
            out["shares"][lever] = bound
    for option, text, example, name in (
        ("--budget", budget, "1000:3000", "budget"),
        ("--price", price, "28:40", "price"),
    ):
        if text is None:
            continue
        low, colon, high = text.partition(":")
        if not colon:
            raise ScenarioError(f"{option} {text!r}: expected LOW:HIGH, e.g. {option} {example}")
        ends = [_parse_number(v, option, text, example) for v in (low, high)]
        out[name] = {"low": ends[0], "high": ends[1]}
    if start_weeks:
        out["start_weeks"] = {}
        for text in start_weeks:
            lever, low, high = _pair(
                text, "--start-week", "LEVER=EARLIEST:LATEST, e.g. referral_programme=0:52"
            )
            weeks = [_parse_number(v, "--start-week", text, "referral_programme=0:52") for v in (low, high)]
            if not all(w.is_integer() for w in weeks):
                raise ScenarioError(f"--start-week {text!r}: weeks are whole numbers")
            out["start_weeks"][lever] = {"low": int(weeks[0]), "high": int(weeks[1])}
    if constraints:
        out["constraints"] = {}
        for text in constraints:
            for operator, side in ((">=", "low"), ("<=", "high")):
                metric, found, value = text.partition(operator)
                if found:
                    number = _parse_number(value.strip(), "--constraint", text, "retention_yearly>=0.8")
                    out["constraints"].setdefault(metric.strip(), {})[side] = number
                    break
            else:
                raise ScenarioError(
                    f"--constraint {text!r}: expected METRIC>=X or METRIC<=X, e.g. retention_yearly>=0.8 or cac<=150"
                )
    if uncertainties:
        out["uncertainties"] = {}
        for text in uncertainties:
            key, sep, rest = text.partition("=")
            if not sep or not key.strip() or not rest.strip():
                raise ScenarioError(
                    f"--uncertainty {text!r}: expected KEY=LOW:HIGH or KEY=A,B,..., e.g. "
                    "behaviours.adoption.word_of_mouth=0.005:0.02 or firms.rival.strategy=relations,conquest"
                )
            low, colon, high = rest.partition(":")
            if colon:
                bounds = [
                    _parse_number(v.strip(), "--uncertainty", text, "firms.rival.price=30:40")
                    for v in (low, high)
                ]
                out["uncertainties"][key.strip()] = {"low": bounds[0], "high": bounds[1]}
            else:
                out["uncertainties"][key.strip()] = [parse_value(v.strip()) for v in rest.split(",")]
    return out


def check_settings(scenario: Scenario, settings: OptimiseConfig, cli: frozenset[str] = frozenset()) -> None:
    """Every decision, bound, budget and price range, start week, uncertainty, objective and
    constraint of ``settings`` must fit ``scenario`` (:func:`sim.design.check_optimise`); ``cli`` names the
    settings given on the command line, which a refusal names by their option.

    Example:
        >>> from sim import load_scenario
        >>> s = load_scenario("scenarios/conquest_vs_relations.toml")
        >>> check_settings(s, OptimiseConfig(levers=["search_adz"]), frozenset({"levers"}))
        Traceback (most recent call last):
        ...
        sim.scenario.ScenarioError: --lever = ['search_adz']: unknown lever 'search_adz'; allowed levers: search_ads, social_ads, influencer_seeding, loyalty_rewards, recognition, personal_offers, referral_programme, acquisition_discount, social_proof_marketing, poaching, communications, service_quality, complaint_handling, reactivation, retention_offers, cross_sell, up_sell, reassurance
    """
    options = {part: OPTIONS[name] for part, name in PARTS.items() if name in cli}
    options.update({name: OPTIONS[name] for name in cli if name in OPTIONS and name not in PARTS.values()})
    check_optimise(scenario, settings, options)


def check_metrics(scenario: Scenario, settings: OptimiseConfig, cli: frozenset[str] = frozenset()) -> None:
    """Objectives and constraints must be declared per-firm outcomes (:data:`sim.design.OUTCOMES`);
    part of :func:`check_settings`, kept for its callers."""
    check_settings(scenario, settings, cli)
