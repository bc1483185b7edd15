"""Whether an experiment's design fits its scenario, checked when the file is read.

Owns the rules every design obeys, whichever workflow runs it: a varied key names a number the
scenario has (or any value, for a list of values), and every value it may take (each listed value,
both ends of a range) makes a valid scenario; every arm makes a valid scenario; a plan's levers,
shares, budget and start weeks fit the firm and the run; an objective, constraint or analysed
outcome is a declared outcome (:data:`sim.design.outcomes.OUTCOMES`); a game's players are firms and its choices valid
changes of their tables; a discovery design's uncertainties, firm, outcomes, targets and
candidate strategies fit the scenario and do not overlap. The checks take the scenario
they are checked against (anything with the :class:`ScenarioLike` methods), so this module needs no
import of the scenario, which holds these tables and calls :func:`check_experiments` as it loads.
Every refusal is a :class:`sim.scenario.ScenarioError` naming the file (or the command-line
option), the table and key, the value and what is allowed.

Example:
    >>> from sim import load_scenario
    >>> scenario = load_scenario("scenarios/baseline.toml")
    >>> existing_number(scenario, "firms.us.budget"), is_int_key(scenario, "run.weeks")
    ((2000.0, None), True)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from pydantic import ValidationError

from sim.design.outcomes import OUTCOMES
from sim.design.tables import PLAN_KEY, DiscoverConfig, GameConfig, OptimiseConfig, choice_overrides
from sim.design.vocabulary import Distribution, Range, Uncertainty
from sim.values import MAX_PRICE, ScenarioError, show


class ScenarioLike(Protocol):
    """What the checks use of a scenario (:class:`sim.scenario.Scenario` has it all)."""

    source: str | None
    firms: Any
    run: Any
    levers: Any
    arms: Any
    sweep: Any
    sensitivity: Any
    optimise: Any
    game: Any
    uncertainties: Any
    discover: Any

    @property
    def name(self) -> str: ...

    @property
    def firm_names(self) -> list[str]: ...

    def without_experiments(self) -> ScenarioLike: ...

    def with_overrides(self, overrides: Mapping[str, Any]) -> ScenarioLike: ...

    def model_dump(self, **kwargs: Any) -> dict[str, Any]: ...


# --------------------------------------------------------------------------- scenario keys


def existing_number(scenario: ScenarioLike, key: str) -> tuple[Any, str | None]:
    """The current value at ``key`` and None, or None and why it is not a number of the scenario."""
    value: Any = scenario.model_dump()
    parts = key.split(".")
    for depth, part in enumerate(parts):
        if not isinstance(value, dict):
            where = ".".join(parts[:depth])
            return None, f"{where} is a value, not a table"
        if part not in value:
            where = ".".join(parts[:depth])
            table = f"[{where}]" if where else "the top level"
            return None, f"unknown key; keys in {table}: {', '.join(map(str, value)) or '(none)'}"
        value = value[part]
    if isinstance(value, bool) or not isinstance(value, int | float):
        shown = "a table" if isinstance(value, dict) else repr(value)
        return None, f"not a number (it is {shown}); a parameter must name a numeric key"
    return value, None


def is_int_key(scenario: ScenarioLike, key: str) -> bool:
    """Whether ``key`` holds a whole number in ``scenario`` (``run.weeks``, ``market.size``).

    Example:
        >>> from sim.scenario import Scenario
        >>> is_int_key(Scenario(), "market.size"), is_int_key(Scenario(), "firms.us.price")
        (True, False)
        >>> is_int_key(Scenario().with_events([{"name": "cut", "kind": "change", "week": 9,
        ...     "key": "firms.us.price", "value": 30}]), "events.cut.week")
        True
    """
    value: Any = scenario.model_dump()
    for part in key.split("."):
        if isinstance(value, list):  # an array of named tables ([[events]]), by name
            value = {table.get("name"): table for table in value if isinstance(table, dict)}
        if not isinstance(value, dict) or part not in value:
            return False
        value = value[part]
    return isinstance(value, int) and not isinstance(value, bool)


def typed_value(scenario: ScenarioLike, key: str, value: float) -> float | int:
    """``value`` rounded for a whole-number key (``run.weeks``), else a float."""
    return round(value) if is_int_key(scenario, key) else float(value)


def _without_source(scenario: ScenarioLike, error: ScenarioError) -> str:
    return str(error).removeprefix(f"{scenario.source or '<scenario>'}: ")


def shown_form(form: Any) -> str:
    """A varied key's form as a message shows it: a list as written, a range or distribution as
    its table (``{'low': 0.0, 'high': 1.0}``)."""
    if isinstance(form, Range | Distribution):
        return show(form.model_dump(exclude_none=True))
    if isinstance(form, Uncertainty):
        return show(form.written())
    return show(list(form) if isinstance(form, tuple) else form)


def check_uncertainties(
    scenario: ScenarioLike,
    uncertainties: Mapping[str, Any],
    where: str,
    source: str | None = None,
    sampled: bool = True,
) -> list[Uncertainty]:
    """Every varied key must name an existing number of ``scenario`` (any value, for a list of
    values when ``sampled`` is False) and every value it may take must give a valid scenario.
    A range may be a :class:`Range`, a ``{low, high}`` table or a pair ``(low, high)``.

    Returns:
        The uncertainties, typed.

    Raises:
        ScenarioError: naming the file (``source``, default the scenario's), ``where`` (the table
            or option), the dotted key, the value and what is allowed.

    Example:
        >>> from sim import load_scenario
        >>> check_uncertainties(load_scenario("scenarios/baseline.toml"), {"firms.us.budgte": [0, 1]}, "--param")
        Traceback (most recent call last):
        ...
        sim.scenario.ScenarioError: scenarios/baseline.toml: --param firms.us.budgte = [0, 1]: unknown key; keys in [firms.us]: price, quality, margin, failure_rate, initial_share, budget, strategy, split, price_path, params, response, seeds
    """
    source = source or scenario.source or scenario.name
    base = scenario.without_experiments()
    if not uncertainties:
        raise ScenarioError(f"{source}: {where}: no parameters; give at least one dotted key with a range")
    typed = []
    for key, form in uncertainties.items():
        shown = f"{where} {key} = {shown_form(form)}"
        uncertainty = _typed_uncertainty(key, form, sampled, f"{source}: {shown}")
        if uncertainty.sampled:
            _, problem = existing_number(base, key)
            if problem:
                raise ScenarioError(f"{source}: {shown}: {problem}")
        for value in uncertainty.ends():
            try:
                base.with_overrides({key: typed_value(base, key, value) if uncertainty.sampled else value})
            except ScenarioError as error:
                raise ScenarioError(
                    f"{source}: {shown}: at {value!r}: {_without_source(scenario, error)}"
                ) from None
        typed.append(uncertainty)
    return typed


def _typed_uncertainty(key: str, form: Any, sampled: bool, prefix: str) -> Uncertainty:
    """The uncertainty ``form`` stands for; a pair (list or tuple) is a range when ``sampled``."""
    if isinstance(form, list | tuple) and sampled:
        if len(form) != 2 or not all(
            isinstance(b, int | float) and not isinstance(b, bool) and math.isfinite(b) for b in form
        ):
            raise ScenarioError(f"{prefix}: a range is two numbers {{low = ..., high = ...}}")
        if not form[0] < form[1]:
            raise ScenarioError(f"{prefix}: a range needs low < high")
        return Uncertainty(key, range=Range(low=form[0], high=form[1]))
    if isinstance(form, list | tuple) and not form:
        raise ScenarioError(f"{prefix}: give at least one value, or a range {{low = ..., high = ...}}")
    try:
        uncertainty = Uncertainty.of(key, form)
    except ValidationError as error:  # a range or distribution that is not one
        item = error.errors()[0]
        inside = ".".join(str(part) for part in item["loc"])
        problem = item["msg"].removeprefix("Value error, ")
        raise ScenarioError(f"{prefix}: {inside + ': ' if inside else ''}{problem}") from None
    except ValueError as error:  # neither a list nor a table
        raise ScenarioError(f"{prefix}: {error}") from None
    if sampled and not uncertainty.sampled:
        raise ScenarioError(f"{prefix}: a range {{low = ..., high = ...}} or a distribution, not a list")
    return uncertainty


def check_outcomes(scenario: ScenarioLike, outcomes: Sequence[str], firm: str | None, where: str = "") -> str:
    """Every name must be a declared per-firm outcome and ``firm`` a firm of the scenario (default:
    the first); returns the firm.

    Example:
        >>> from sim import load_scenario
        >>> check_outcomes(load_scenario("scenarios/research.toml"), ["profit", "ltv"], None)
        'us'
    """
    prefix = f"{where} " if where else ""
    firm = firm or scenario.firm_names[0]
    if firm not in scenario.firms:
        raise ScenarioError(f"{prefix}firm {firm!r}: no such firm; firms: {', '.join(scenario.firms)}")
    for name in outcomes:
        if name not in OUTCOMES:
            raise ScenarioError(
                f"{prefix}outcome {name!r}: not a scalar metric of a firm's summary; allowed: {', '.join(OUTCOMES)}"
            )
    return firm


# --------------------------------------------------------------------------- the tables of a file


def check_experiments(scenario: ScenarioLike) -> None:
    """Every experiment table of ``scenario`` must fit it: arms, sweep, sensitivity, optimise, game."""
    check_arms(scenario)
    check_sweep(scenario)
    if scenario.sensitivity is not None:
        table = scenario.sensitivity
        check_uncertainties(scenario, table.uncertainties, "[sensitivity.uncertainties]")
        source = scenario.source or scenario.name
        check_outcomes(scenario, table.outcomes, table.firm, f"{source}: [sensitivity]")
    if scenario.optimise is not None:
        check_optimise(scenario, scenario.optimise)
    if getattr(scenario, "game", None) is not None:
        check_game(scenario, scenario.game)
    if getattr(scenario, "discover", None) is not None:
        check_discover(scenario, scenario.discover)
    elif getattr(scenario, "uncertainties", None):
        check_uncertainties(scenario, scenario.uncertainties, "[uncertainties]", sampled=False)


def check_arms(scenario: ScenarioLike) -> None:
    """Every arm must make a valid scenario; an error names its table."""
    base = scenario.without_experiments()
    for label, overrides in scenario.arms.items():
        try:
            base.with_overrides(overrides)
        except ScenarioError as error:
            raise ScenarioError(f"in [arms.{label}]: {error}") from None


def check_sweep(scenario: ScenarioLike) -> None:
    """Every swept value (each listed value, both ends of a range) must make a valid scenario, and
    so must the largest market the sweep asks for (its size and network degree together)."""
    if scenario.sweep is None:
        return
    base = scenario.without_experiments()
    forms = scenario.sweep.uncertainties
    for key, values in forms.items():
        for value in values if isinstance(values, list) else values.ends():
            try:
                base.with_overrides({key: value})
            except ScenarioError as error:
                raise ScenarioError(f"in [sweep.uncertainties] {key} = {value!r}: {error}") from None
    # Each value alone may fit in memory and the largest market with the most ties not: check
    # that point too (the values that size the market: its size and the network's degree).
    largest = {
        key: max(values if isinstance(values, list) else values.ends())
        for key, values in forms.items()
        if key in ("market.size", "market.simulated", "network.mean_degree", "network.attach")
        and all(isinstance(v, int | float) for v in (values if isinstance(values, list) else [0]))
    }
    if len(largest) > 1:
        try:
            base.with_overrides(largest)
        except ScenarioError as error:
            raise ScenarioError(f"in [sweep.uncertainties] at {largest}: {error}") from None


# --------------------------------------------------------------------------- a plan's settings


def fail(where: str, value: Any, problem: str) -> ScenarioError:
    """``where = value: problem`` as one refusal."""
    return ScenarioError(f"{where} = {show(value)}: {problem}")


def _weeks(span: Range) -> dict[str, Any]:
    return {k: int(v) if float(v).is_integer() else v for k, v in span.model_dump().items()}


def check_optimise(
    scenario: ScenarioLike, settings: OptimiseConfig, options: Mapping[str, str] | None = None
) -> None:
    """Every decision, bound, budget range, price range and its start week, start week,
    uncertainty, objective and constraint of ``settings`` must fit ``scenario``.

    Args:
        scenario: the scenario whose firm the plan is for.
        settings: the settings (the file's ``[optimise]`` table, or merged with the command line's).
        options: for settings given on the command line, the option to name in a message, by
            part: ``firm``, ``lever``, ``share``, ``start_week``, ``budget``, ``price``,
            ``price_from``, ``constraints``, ``uncertainties``, ``objectives`` (the rest are named
            as ``[optimise]`` keys).

    Raises:
        ScenarioError: naming the file or option, the key, the value and what is allowed.

    Example:
        >>> from sim import load_scenario
        >>> s = load_scenario("scenarios/conquest_vs_relations.toml")
        >>> check_optimise(s, OptimiseConfig(decisions={"search_adz": {}}))
        Traceback (most recent call last):
        ...
        sim.scenario.ScenarioError: scenarios/conquest_vs_relations.toml: [optimise] decisions.search_adz = {}: unknown lever 'search_adz'; allowed levers: search_ads, social_ads, influencer_seeding, loyalty_rewards, recognition, personal_offers, referral_programme, acquisition_discount, social_proof_marketing, poaching, communications, service_quality, complaint_handling, reactivation, retention_offers, cross_sell, up_sell, reassurance
    """
    options = options or {}
    source = scenario.source or scenario.name

    def at(part: str, *path: str, option_key: str = "") -> str:
        """Where a problem is: the command-line option that gave ``part`` (with ``option_key``),
        else the dotted ``path`` in the file's ``[optimise]`` table."""
        if part in options:
            return options[part] + (f".{option_key}" if option_key else "")
        return f"{source}: [optimise] {'.'.join(path)}"

    firm = settings.firm or scenario.firm_names[0]
    if firm not in scenario.firms:
        raise fail(at("firm", "firm"), firm, f"no such firm; firms: {', '.join(scenario.firms)}")
    every = list(type(scenario.levers).model_fields)
    decisions = settings.decision_list()
    levers = [d.lever for d in decisions]
    written = {} if settings.decisions is None else settings.decisions
    for decision in decisions:
        if decision.lever not in every:
            shown = levers if "lever" in options else written[decision.lever].model_dump(exclude_none=True)
            raise fail(
                at("lever", "decisions", decision.lever),
                shown,
                f"unknown lever {decision.lever!r}; allowed levers: {', '.join(every)}",
            )
    if not levers:
        raise fail(at("lever", "decisions"), levers, "name each lever once, at least one")
    for decision in decisions:
        bounds = written[decision.lever].share if decision.lever in written else None
        if bounds is not None and not all(0 <= v <= 1 for v in (bounds.low, bounds.high) if v is not None):
            raise fail(
                at("share", "decisions", decision.lever, "share", option_key=decision.lever),
                bounds.written(),
                "a share of the budget is in [0, 1]",
            )
    share_where = at("share", "decisions")
    lows = sum(d.share[0] for d in decisions)
    if lows > 1 + 1e-9:
        raise fail(
            share_where,
            {d.lever: d.share[0] for d in decisions if d.share[0] > 0},
            f"the minimum shares sum to {lows:.4g}; they may sum to at most 1",
        )
    highs = sum(d.share[1] for d in decisions)
    if settings.spend_all and highs < 1 - 1e-9:
        raise fail(
            share_where,
            {d.lever: d.share[1] for d in decisions if d.share[1] < 1},
            f"with spend_all the maximum shares must reach 1, they sum to {highs:.4g}",
        )
    if settings.budget is not None and not settings.budget.low >= 0:
        raise fail(
            at("budget", "budget"),
            settings.budget.model_dump(),
            "a weekly budget range is {low, high} with 0 <= low < high",
        )
    weeks = scenario.run.weeks
    _check_price(settings, weeks, at)
    for decision in decisions:
        span = written[decision.lever].start_week if decision.lever in written else None
        if span is None:
            continue
        starts = at("start_week", "decisions", decision.lever, "start_week", option_key=decision.lever)
        if not (float(span.low).is_integer() and float(span.high).is_integer()):
            raise fail(starts, _weeks(span), "weeks are whole numbers")
        if not 0 <= span.low < span.high < weeks:
            raise fail(
                starts,
                _weeks(span),
                f"a range of start weeks is {{low, high}} with 0 <= low < high < run.weeks = {weeks}",
            )
    _check_market_uncertainties(
        scenario, settings, firm, lambda key: at("uncertainties", "uncertainties", key, option_key=key)
    )
    for part, names in (("objectives", settings.objectives), ("constraints", list(settings.constraints))):
        for name in names:
            if name not in OUTCOMES:
                raise fail(at(part, part), name, f"not a per-firm metric; allowed: {', '.join(OUTCOMES)}")
    if len(set(settings.objectives)) != len(settings.objectives):
        raise fail(at("objectives", "objectives"), settings.objectives, "name each objective once")
    if settings.rivals_respond and not responding_rivals(scenario, firm):
        raise fail(
            at("rivals_respond", "rivals_respond"),
            True,
            f"no rival of firm {firm!r} has a response that reacts (every rival is passive), so there is "
            "nothing to expect; give a rival one, e.g. --rival-response NAME=price_matcher or "
            '[firms.NAME.response] personality = "retaliator" (personalities: price_matcher, retaliator, '
            "defender, aggressor)",
        )


def _check_price(settings: OptimiseConfig, weeks: int, at: Any) -> None:
    """The price decision: ``0 < low < high <= MAX_PRICE`` and ``price_from`` a week of the run
    (``low < high`` is the range's own rule); ``price_from`` only with a price to choose."""
    price = settings.price
    if price is not None and not 0 < price.low < price.high <= MAX_PRICE:
        raise fail(
            at("price", "price"),
            price.model_dump(),
            f"a price range is {{low, high}} with 0 < low < high <= {MAX_PRICE:g} (currency per purchase)",
        )
    start = settings.price_from
    if start is None:
        return
    if price is None:
        raise fail(
            at("price_from", "price_from"),
            start,
            "the week a chosen price starts needs a price to choose: give the range too "
            "(--price LOW:HIGH or [optimise] price = {low = ..., high = ...})",
        )
    if not 1 <= start <= weeks:
        raise fail(
            at("price_from", "price_from"), start, f"a week of the run: 1 <= week <= run.weeks = {weeks}"
        )


def responding_rivals(scenario: ScenarioLike, firm: str) -> list[str]:
    """The rivals of ``firm`` whose ``[firms.<name>.response]`` reacts: a personality or rules
    that give it at least one rule, or a custom class that decides for itself. A rival with no
    response table, or a passive one without rules, never reacts.

    Example:
        >>> from sim import load_scenario
        >>> s = load_scenario("scenarios/conquest_vs_relations.toml")
        >>> responding_rivals(s, "us"), responding_rivals(s.with_overrides(
        ...     {"firms.rival.response.personality": "retaliator"}), "us")
        ([], ['rival'])
    """
    from sim.registry import resolve_response_class

    never = resolve_response_class("passive").decide  # the base class's: no rules, no reaction
    out = []
    for name, config in scenario.firms.items():
        response = getattr(config, "response", None)
        if name == firm or response is None:
            continue
        if response.all_rules() or resolve_response_class(response.personality).decide is not never:
            out.append(name)
    return out


def _check_market_uncertainties(
    scenario: ScenarioLike, settings: OptimiseConfig, firm: str, where: Any
) -> None:
    """What the market may do: never the optimised firm's own plan, and every value valid."""
    plan_keys = (
        "strategy",
        "split",
        "params",
        "budget",
        *(("price_path",) if settings.price is not None else ()),
    )
    decisions = {f"firms.{firm}.{k}" for k in plan_keys}
    base = scenario.without_experiments()
    for uncertainty in settings.uncertainty_list():
        key = uncertainty.key
        shown = uncertainty.written()
        if key in decisions or any(key.startswith(d + ".") for d in decisions):
            raise fail(
                where(key),
                shown,
                f"firm {firm!r}'s plan is what is optimised; an uncertainty is what the market does (e.g. "
                "firms.rival.price, behaviours.adoption.word_of_mouth)",
            )
        if uncertainty.values is not None and not uncertainty.values:
            raise fail(where(key), shown, "give at least one value, or a range {low = ..., high = ...}")
        if uncertainty.sampled:
            _, problem = existing_number(base, key)
            if problem:
                raise fail(where(key), shown, problem)
        for value in uncertainty.ends():
            try:
                base.with_overrides({key: value})
            except ScenarioError as error:
                raise fail(where(key), shown, f"at {value!r}: {_without_source(scenario, error)}") from None


# --------------------------------------------------------------------------- a game's choices


def check_game(scenario: ScenarioLike, game: GameConfig, where: str = "[game]") -> None:
    """Every player of ``game`` must be a firm of ``scenario``, every choice a valid change of its
    table (each key a key of the firm's table, a plan file that exists and holds the firm's plan),
    the payoff a per-firm outcome, and an ``[game.iterate]`` table's firms and start choices
    players and choices of the game.

    Raises:
        ScenarioError: naming the file, ``[game]`` and the dotted key, the value and what is allowed.

    Example:
        >>> from sim import load_scenario
        >>> s = load_scenario("scenarios/conquest_vs_relations.toml")
        >>> check_game(s, GameConfig.model_validate({"choices": {"us": ["conquest"], "them": ["relations", "neglect"]}}))
        Traceback (most recent call last):
        ...
        sim.scenario.ScenarioError: scenarios/conquest_vs_relations.toml: [game] choices.them = {'relations': {'strategy': 'relations'}, 'neglect': {'strategy': 'neglect'}}: no such firm; firms in this scenario: us, rival
    """
    source = scenario.source or scenario.name
    folder = None if scenario.source is None else str(_parent(scenario.source))
    base = scenario.without_experiments()
    firms = list(scenario.firms)

    def at(*path: str) -> str:
        return f"{source}: {where} {'.'.join(path)}"

    if game.payoff not in OUTCOMES:
        raise fail(at("payoff"), game.payoff, f"not a per-firm metric; allowed: {', '.join(OUTCOMES)}")
    for firm, choices in game.choices.items():
        if firm not in scenario.firms:
            raise fail(
                at("choices", firm), choices, f"no such firm; firms in this scenario: {', '.join(firms)}"
            )
    for firm, choices in game.choices.items():
        for name, choice in choices.items():
            if PLAN_KEY in choice and not isinstance(choice[PLAN_KEY], str):
                raise fail(
                    at("choices", firm, name, PLAN_KEY),
                    choice[PLAN_KEY],
                    "a path to a `sim optimise` best.toml",
                )
            try:
                overrides = choice_overrides(firm, choice, folder)
            except ValueError as error:
                raise fail(at("choices", firm, name, PLAN_KEY), choice[PLAN_KEY], str(error)) from None
            so_far: dict[str, Any] = {}
            for key, value in overrides.items():  # in order: a plan's params follow its strategy
                so_far[key] = value
                try:
                    base.with_overrides(so_far)
                except ScenarioError as error:
                    problem = _without_source(scenario, error).removeprefix(f"{key} = {show(value)}: ")
                    shown = key.removeprefix(f"firms.{firm}.")
                    raise fail(at("choices", firm, name, shown), value, problem) from None
            try:
                base.with_overrides(overrides)
            except ScenarioError as error:
                raise fail(at("choices", firm, name), choice, _without_source(scenario, error)) from None
    if game.iterate is not None:
        _check_iterate(scenario, game, at)


def _check_iterate(scenario: ScenarioLike, game: GameConfig, at: Any) -> None:
    """The firms of ``[game.iterate]`` play the game, start from one of their choices, and their
    optimiser settings fit each of them."""
    players = game.players
    iterate = game.iterate
    for firm in iterate.firms or []:
        if firm not in players:
            raise fail(
                at("iterate", "firms"),
                iterate.firms,
                f"{firm!r} is not a player; players: {', '.join(players)}",
            )
    if iterate.firms is not None and (not iterate.firms or len(set(iterate.firms)) != len(iterate.firms)):
        raise fail(at("iterate", "firms"), iterate.firms, "name each player once, at least one")
    for firm, choice in iterate.start.items():
        if firm not in players:
            raise fail(at("iterate", "start", firm), choice, f"not a player; players: {', '.join(players)}")
        if choice not in game.choices[firm]:
            raise fail(
                at("iterate", "start", firm),
                choice,
                f"not a choice of {firm}; choices: {', '.join(game.choices[firm])}",
            )
    settings = iterate.settings()
    for firm in iterate.firms or players:
        try:
            check_optimise(scenario, settings.model_copy(update={"firm": firm, "objectives": [game.payoff]}))
        except ScenarioError as error:
            text = str(error).replace("[optimise]", "[game.iterate.optimise]", 1)
            raise ScenarioError(text) from None


def _parent(source: str) -> Any:
    from pathlib import Path

    return Path(source).parent


# --------------------------------------------------------------------------- a discovery design


def discover_strategies(
    scenario: ScenarioLike, settings: DiscoverConfig, firm: str
) -> dict[str, dict[str, Any]]:
    """The candidate strategies of a discovery design as name -> dotted overrides of the scenario:
    the ``strategies`` of ``settings`` (names, or overrides of ``firm``'s table; a ``plan`` file
    read), else the scenario's ``[arms]``.

    Example:
        >>> from sim import load_scenario
        >>> s = load_scenario("scenarios/conquest_vs_relations.toml")
        >>> discover_strategies(s, DiscoverConfig(), "us")
        {'conquest': {'firms.us.strategy': 'conquest'}, 'relations': {'firms.us.strategy': 'relations'}}
    """
    table = settings.strategy_table(firm)
    if table is None:
        return {label: dict(overrides) for label, overrides in scenario.arms.items()}
    folder = None if scenario.source is None else str(_parent(scenario.source))
    return {name: choice_overrides(firm, choice, folder) for name, choice in table.items()}


def check_discover(scenario: ScenarioLike, settings: DiscoverConfig, where: str = "[discover]") -> None:
    """A discovery design must fit ``scenario``: at least one ``[uncertainties]`` key, each an
    existing number with a valid range or distribution (or a list of valid values: a category);
    the firm a firm; the outcomes and targets declared outcomes; at least two candidate
    strategies (the ``strategies`` of the table, else the scenario's ``[arms]``), each a valid
    change of the scenario that sets no uncertain key (an uncertainty is what the market does).

    Raises:
        ScenarioError: naming the file, the table and the dotted key, the value and what is allowed.

    Example:
        >>> from sim import load_scenario
        >>> s = load_scenario("scenarios/conquest_vs_relations.toml")
        >>> check_discover(s.model_copy(update={"uncertainties": {"firms.rival.price": {"low": 30, "high": 50}}}),
        ...     DiscoverConfig(strategies=["conquest", "relations"], targets={"proft": {"low": 0}}))
        Traceback (most recent call last):
        ...
        sim.scenario.ScenarioError: scenarios/conquest_vs_relations.toml: [discover] targets.proft = 'proft': not a per-firm outcome; allowed: ...
    """
    source = scenario.source or scenario.name
    base = scenario.without_experiments()

    def at(*path: str) -> str:
        return f"{source}: {where} {'.'.join(path)}"

    table = getattr(scenario, "uncertainties", None) or {}
    if not table:
        raise ScenarioError(
            f"{source}: [uncertainties]: a discovery design needs at least one uncertainty, e.g. "
            '[uncertainties] "behaviours.adoption.word_of_mouth" = {low = 0.005, high = 0.05}'
        )
    uncertainties = check_uncertainties(scenario, table, "[uncertainties]", source, sampled=False)
    for uncertainty in uncertainties:
        if uncertainty.values is not None and len(set(map(repr, uncertainty.values))) != len(
            uncertainty.values
        ):
            raise fail(
                f"{source}: [uncertainties] {uncertainty.key}", uncertainty.written(), "list each value once"
            )
    firm = settings.firm or scenario.firm_names[0]
    if firm not in scenario.firms:
        raise fail(at("firm"), firm, f"no such firm; firms: {', '.join(scenario.firms)}")
    for part, names in (("outcomes", settings.outcomes), ("targets", list(settings.targets))):
        for name in names:
            if name not in OUTCOMES:
                raise fail(
                    at(part, name) if part == "targets" else at(part),
                    name,
                    f"not a per-firm outcome; allowed: {', '.join(OUTCOMES)}",
                )
    written = settings.strategy_table(firm)
    try:
        strategies = discover_strategies(scenario, settings, firm)
    except ValueError as error:  # a plan file that is missing or holds no plan for the firm
        raise fail(at("strategies"), settings.strategies, str(error)) from None
    if len(strategies) < 2:
        shown = "[arms]" if written is None else f"{where} strategies"
        raise ScenarioError(
            f"{source}: {shown}: a discovery design compares at least two strategies, got {len(strategies)}; "
            f'list them, e.g. [discover] strategies = ["conquest", "relations"], or add [arms.<label>] tables'
        )
    keys = [u.key for u in uncertainties]
    for name, overrides in strategies.items():
        place = at("strategies", name) if written is not None else f"{source}: [arms.{name}]"
        for key in overrides:
            clash = [k for k in keys if k == key or k.startswith(key + ".") or key.startswith(k + ".")]
            if clash:
                raise fail(
                    place,
                    overrides,
                    f"sets {key}, which [uncertainties] varies ({clash[0]}); a strategy is what the firm "
                    "decides, an uncertainty what the market does: drop one of them",
                )
        try:
            base.with_overrides(overrides)
        except ScenarioError as error:
            raise fail(place, overrides, _without_source(scenario, error)) from None
