"""What the dashboard steps: the page's settings turned into a market, and a second arm beside it.

Owns the link between the controls of ``sim dashboard`` and the model: the controls a scenario
gets (:func:`dashboard_params`, in the form Mesa's SolaraViz takes), how their values become
dotted-key overrides of the scenario (:func:`settings_overrides`), the seed typed into the page
(:func:`parse_seed`), the running CAC and LTV the charts show (:func:`running_metrics`), how
each rival responds (its personality control, :func:`personality_description`, and the reactions
to mark on the charts, :func:`reaction_marks`) and :class:`DashboardModel`, the Mesa model
SolaraViz creates, steps and resets. It holds a
:class:`~sim.model.CustomerMarket` built from the settings and, for the side-by-side view, the same
market on the same seed with one firm on another strategy (common random numbers make the two a
paired comparison). No Solara here: the page itself is :mod:`sim.dashboard.app`.

Example:
    >>> from sim import load_scenario
    >>> scenario = load_scenario("scenarios/baseline.toml", {"market.size": 300})
    >>> model = DashboardModel(scenario, seed="7", compare_strategy="relations")
    >>> model.step(); model.week, model.seed, model.comparison.week
    (1, 7, 1)
"""

from __future__ import annotations

import math
import re
from typing import Any

import mesa
import numpy as np

from sim.events import Struck
from sim.model import CustomerMarket
from sim.recording import Recorder
from sim.registry import resolve_response_class
from sim.responses import Reaction
from sim.scenario import Scenario, ScenarioError
from sim.scenario.responses import ResponseConfig
from sim.strategies.base import STRATEGIES, resolve_strategy_class
from sim.strategies.builtin import CONQUEST_SPLIT, RELATIONS_SPLIT
from sim.strategies.levers import LEVERS
from sim.summary import running_economics

NO_COMPARISON = "none"  # the comparison select's value that switches the second arm off
# The strategy whose split the "share on relations" slider sets (half and half by default).
MIXED_STRATEGY = "balanced"
RELATIONS_SHARE = "relations_share"  # firms.<name>.relations_share: a dashboard-only key
# The events a user can strike live from the page (the panel's choices), by what the page calls them.
LIVE_EVENTS = {
    "price": "a firm changes its price now",
    "enter": "a competitor enters now",
    "downturn": "a downturn now",
    "reputation_shock": "a reputation shock now",
}
# The built-in response personalities, by what the page calls them (the rival's control).
PERSONALITIES = {
    "passive": "passive",
    "price_matcher": "price matcher",
    "retaliator": "retaliator",
    "defender": "defender",
    "aggressor": "aggressor",
}
PERSONALITY_KEY = "response.personality"  # firms.<name>.response.personality
# The groups of the page's controls, in order (a rival's group names the firm: firm_group).
GROUPS = ("The market", "Our firm", "The rival", "Behaviour", "Side by side")
SLIDER_STEPS = 20  # a float slider moves in 1/20 of its range, or finer to hit the file's value

# The market-wide sliders (the first two are the market's, the rest behaviour): dotted key, label, lowest value, highest value at least, integer?
GLOBAL_SLIDERS: tuple[tuple[str, str, float, float, bool], ...] = (
    ("market.size", "market size (people)", 100, 20_000, True),
    ("levers.referral_programme.unit_cost", "referral reward (paid per referral won)", 1, 100, True),
    ("behaviours.adoption.word_of_mouth", "word of mouth", 0.0, 0.05, False),
    ("behaviours.adoption.social_proof_weight", "social-proof weight", 0.0, 2.0, False),
    ("behaviours.churn.satisfaction_tolerance", "churn starts below satisfaction", 0.0, 1.0, False),
    ("behaviours.churn.appreciation_tolerance", "churn starts below appreciation", 0.0, 1.0, False),
)


def parse_seed(value: int | str | None, default: int) -> tuple[int, str | None]:
    """The seed typed into the page: a whole number >= 0, or ``default`` and why it was not used.

    A text box hands the seed over as a string; empty means the scenario's own seed.

    Example:
        >>> parse_seed(" 42 ", 1), parse_seed("", 1)
        ((42, None), (1, None))
        >>> parse_seed("4.5", 1)[1]
        "seed '4.5': not a whole number >= 0; using the scenario's seed 1"
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return default, None
    text = str(value).strip()
    if isinstance(value, int) and not isinstance(value, bool):
        number: int | None = value
    else:
        number = int(text) if text.isdigit() else None  # isdigit: no sign, no point, no exponent
    if number is None or number < 0:
        return default, f"seed {text!r}: not a whole number >= 0; using the scenario's seed {default}"
    return number, None


def relations_share(split: dict[str, float]) -> float:
    """Share of a split's money that goes to relations levers (0 for an empty split).

    Example:
        >>> relations_share({"search_ads": 0.25, "loyalty_rewards": 0.75})
        0.75
    """
    total = sum(split.values())
    if total <= 0:
        return 0.0
    return sum(share for lever, share in split.items() if LEVERS[lever].kind == "relations") / total


def mixed_split(share_on_relations: float) -> dict[str, float]:
    """The balanced strategy's split with ``share_on_relations`` of the budget on relations: the
    built-in conquest and relations splits, scaled to 1 - share and share.

    Example:
        >>> round(sum(v for k, v in mixed_split(0.25).items() if k in RELATIONS_SPLIT), 6)
        0.25
    """
    share = min(max(float(share_on_relations), 0.0), 1.0)
    split = {lever: weight * (1 - share) for lever, weight in CONQUEST_SPLIT.items()}
    for lever, weight in RELATIONS_SPLIT.items():
        split[lever] = split.get(lever, 0.0) + weight * share
    return split


def strategy_choices(scenario: Scenario) -> list[str]:
    """Strategies a firm can be switched to: the registered ones and any the file names."""
    named = {firm.strategy for firm in scenario.firms.values()}
    return sorted(STRATEGIES.keys() | named)


def personality_label(personality: str) -> str:
    """What the page calls ``personality``: a built-in one in words, a custom class by its path.

    Example:
        >>> personality_label("price_matcher"), personality_label("mine.responses:Cautious")
        ('price matcher', 'mine.responses:Cautious')
    """
    return PERSONALITIES.get(personality, personality)


def personality_name(label: str) -> str:
    """The personality a control's value stands for (its label on the page, or its own name).

    Example:
        >>> personality_name("price matcher"), personality_name("price_matcher")
        ('price_matcher', 'price_matcher')
    """
    named = {words: name for name, words in PERSONALITIES.items()}
    return named.get(label.strip(), label.strip())


def personality_description(personality: str) -> str:
    """What ``personality`` does in one line: the first paragraph of its class's docstring (the
    built-ins' are in :mod:`sim.responses.personalities`).

    Example:
        >>> personality_description("price_matcher")
        "Matches a cheaper rival's price, down to a margin floor."
    """
    try:
        cls = resolve_response_class(personality)
    except ValueError as error:
        return str(error)
    doc = (cls.__doc__ or "").strip()  # a subclass without its own docstring has None
    if not doc:
        return f"a custom response ({personality}) without a description"
    return " ".join(line.strip() for line in doc.split("\n\n")[0].splitlines())


def responding_firms(scenario: Scenario) -> list[str]:
    """The firms whose response is a control: every firm but the first (ours: the one the
    side-by-side view compares by default and the scenarios name first), and ours too if the file
    gives it a response.

    Example:
        >>> from sim import load_scenario
        >>> responding_firms(load_scenario("scenarios/market_shifts.toml"))
        ['rival', 'challenger']
    """
    return [
        name
        for index, (name, firm) in enumerate(scenario.firms.items())
        if index or firm.response is not None
    ]


def _personality(response: ResponseConfig | None) -> str:
    return "passive" if response is None else response.personality


def _params_for(personality: str, params: dict[str, Any]) -> dict[str, Any]:
    """The file's ``params`` that ``personality`` takes: all of them, else those among its
    parameters (a built-in's ``defaults``), else none."""
    try:
        cls = resolve_response_class(personality)
    except ValueError:
        return dict(params)  # an unknown personality: validation names it
    accepted = getattr(cls, "defaults", {})
    for candidate in (dict(params), {key: value for key, value in params.items() if key in accepted}):
        try:
            cls.rules_for(**candidate)
        except (TypeError, ValueError):
            continue
        return candidate
    return {}


def _personality_overrides(scenario: Scenario, firm: str, chosen: str) -> dict[str, Any]:
    """Overrides that give ``firm`` the personality ``chosen`` (a label or a name): none if it is
    the file's; the file's own rules stay, and so do its params where the new personality takes
    them."""
    name = personality_name(str(chosen))
    response = scenario.firms[firm].response
    if name == _personality(response):
        return {}
    overrides: dict[str, Any] = {f"firms.{firm}.{PERSONALITY_KEY}": name}
    if response is not None and response.params:
        kept = _params_for(name, response.params)
        if kept != response.params:
            overrides[f"firms.{firm}.response.params"] = kept
    return overrides


def firm_split(scenario: Scenario, firm: str) -> dict[str, float]:
    """``firm``'s split of its budget over levers: the file's, or its strategy's default."""
    config = scenario.firms[firm]
    if config.split is not None:
        return dict(config.split)
    return dict(resolve_strategy_class(config.strategy).default_split)


def _slider(key: str, label: str, value: float, low: float, high: float, integer: bool) -> dict[str, Any]:
    """A Mesa SolaraViz slider whose range always holds the file's value."""
    high = max(high, 2 * value)
    if integer:
        step = max(1, 10 ** max(0, math.floor(math.log10(max(high - low, 1))) - 2))
        return {
            "type": "SliderInt",
            "label": label,
            "value": int(value),
            "min": int(low),
            "max": int(math.ceil(high / step) * step),
            "step": step,
        }
    step = (high - low) / SLIDER_STEPS
    # A step that lands on the file's value, so the slider can come back to it (a few halvings;
    # an odd value keeps the coarse step and starts off the grid, which is harmless).
    for _ in range(6):
        if math.isclose(round((value - low) / step) * step + low, value, rel_tol=1e-9, abs_tol=1e-12):
            break
        step /= 2
    return {
        "type": "SliderFloat",
        "label": label,
        "value": float(value),
        "min": low,
        "max": high,
        "step": step,
    }


def dashboard_params(scenario: Scenario) -> dict[str, Any]:
    """The controls of the page for ``scenario``: type, label (in the user's words), group (:data:`GROUPS`:
    the market, our firm, the rival(s), behaviour, side by side), value and range.

    Per firm a strategy, a weekly budget and the share on relations (used when the strategy is
    ``balanced``), and for each of :func:`responding_firms` how it responds to rivals; the sliders
    of :data:`GLOBAL_SLIDERS`; the seed; the side-by-side view's firm and its other strategy. Every
    key is a keyword of :class:`DashboardModel`; each starts at the scenario's value.

    Example:
        >>> from sim import load_scenario
        >>> params = dashboard_params(load_scenario("scenarios/baseline.toml"))
        >>> params["firms.us.budget"]["value"], params["compare_strategy"]["value"]
        (2000, 'relations')
        >>> params["firms.rival.response.personality"]["value"], params["firms.rival.budget"]["group"]
        ('passive', 'The rival (rival)')
    """
    params: dict[str, Any] = {"market_scenario": scenario}  # fixed: not a control
    params["seed"] = {"type": "InputText", "label": "seed (a whole number)", "value": str(scenario.run.seed),
                      "group": GROUPS[0]}  # fmt: skip
    choices = strategy_choices(scenario)
    for key, label, low, high, integer in GLOBAL_SLIDERS[:2]:
        params[key] = {
            **_slider(key, label, _value_at(scenario, key), low, high, integer),
            "group": GROUPS[0],
        }
    for index, (name, firm) in enumerate(scenario.firms.items()):
        group = firm_group(scenario, name)
        params[f"firms.{name}.strategy"] = {
            "type": "Select",
            "label": "our strategy" if index == 0 else "its strategy",
            "value": firm.strategy,
            "values": choices,
            "group": group,
        }
        params[f"firms.{name}.budget"] = {
            **_slider(f"firms.{name}.budget", "budget a week", firm.budget, 0, 5_000, True),
            "group": group,
        }
        params[f"firms.{name}.{RELATIONS_SHARE}"] = {"type": "SliderFloat", "label": "share of the budget on relations",
            "value": round(relations_share(firm_split(scenario, name)), 2), "min": 0.0, "max": 1.0, "step": 0.05,
            "group": group}  # fmt: skip
        if name in responding_firms(scenario):
            current = _personality(firm.response)
            params[f"firms.{name}.{PERSONALITY_KEY}"] = {
                "type": "Select",
                "label": "how it responds to rivals",
                "value": personality_label(current),
                "values": [*PERSONALITIES.values(), *([current] if current not in PERSONALITIES else [])],
                "group": group,
            }
    for key, label, low, high, integer in GLOBAL_SLIDERS[2:]:
        params[key] = {
            **_slider(key, label, _value_at(scenario, key), low, high, integer),
            "group": GROUPS[3],
        }
    first = scenario.firm_names[0]
    own = scenario.firms[first].strategy
    params["compare_firm"] = {
        "type": "Select",
        "label": "firm switched",
        "value": first,
        "values": scenario.firm_names,
        "group": GROUPS[4],
    }
    params["compare_strategy"] = {
        "type": "Select",
        "label": "its other strategy",
        "value": "relations" if own != "relations" else "conquest",
        "values": [NO_COMPARISON, *choices],
        "group": GROUPS[4],
    }
    return params


def firm_group(scenario: Scenario, firm: str) -> str:
    """The group of a firm's controls: "Our firm (us)", "The rival (rival)" or "A rival (name)".

    Example:
        >>> from sim import load_scenario
        >>> firm_group(load_scenario("scenarios/market_shifts.toml"), "challenger")
        'A rival (challenger)'
    """
    names = scenario.firm_names
    if firm == names[0]:
        return f"{GROUPS[1]} ({firm})"
    return f"{GROUPS[2] if len(names) == 2 else 'A rival'} ({firm})"


def initial_settings(params: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments the controls start at (what SolaraViz's Reset passes untouched).

    Example:
        >>> initial_settings({"a": 1, "b": {"type": "SliderInt", "value": 3}})
        {'a': 1, 'b': 3}
    """
    return {
        key: spec["value"] if isinstance(spec, dict) and "type" in spec else spec
        for key, spec in params.items()
    }


def _value_at(scenario: Scenario, dotted: str) -> Any:
    value: Any = scenario
    for part in dotted.split("."):
        value = value[part] if isinstance(value, dict) else getattr(value, part)
    return value


def settings_overrides(scenario: Scenario, settings: dict[str, Any]) -> dict[str, Any]:
    """Dotted-key overrides of ``scenario`` for the controls' values.

    A firm's strategy is overridden only when it differs from the file's (switching resets its
    split to the new strategy's default, as ``--set`` does); a ``balanced`` firm whose share on
    relations differs from its split's gets the balanced split with that share. A firm's
    personality (``firms.<name>.response.personality``, by its label on the page or its name) is
    overridden only when it differs from the file's (no response table: passive); the file's own
    rules, delay and cool-down stay, and its params stay where the new personality takes them.
    Values equal to the file's are left out, so untouched controls reproduce the file exactly.

    Raises:
        ScenarioError: a key that is neither a dotted scenario key nor a dashboard control.

    Example:
        >>> from sim import load_scenario
        >>> base = load_scenario("scenarios/baseline.toml")
        >>> settings_overrides(base, {"firms.us.budget": 3000, "market.size": 10000})
        {'firms.us.budget': 3000}
        >>> settings_overrides(base, {"firms.rival.response.personality": "price matcher"})
        {'firms.rival.response.personality': 'price_matcher'}
    """
    overrides: dict[str, Any] = {}
    shares: dict[str, float] = {}
    for key, value in settings.items():
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "firms" and parts[2] == RELATIONS_SHARE:
            if parts[1] not in scenario.firms:
                raise ScenarioError(
                    f"dashboard: {key}: no firm {parts[1]!r}; firms: {', '.join(scenario.firms)}"
                )
            shares[parts[1]] = float(value)
            continue
        if len(parts) == 4 and parts[0] == "firms" and ".".join(parts[2:]) == PERSONALITY_KEY:
            if parts[1] not in scenario.firms:
                raise ScenarioError(
                    f"dashboard: {key}: no firm {parts[1]!r}; firms: {', '.join(scenario.firms)}"
                )
            overrides.update(_personality_overrides(scenario, parts[1], value))
            continue
        if len(parts) < 2:
            raise ScenarioError(
                f"dashboard: {key} = {value!r}: not a control; controls are dotted scenario keys, "
                "seed, compare_firm and compare_strategy"
            )
        try:
            current = _value_at(scenario, key)
        except (AttributeError, KeyError):
            current = None  # a key the file leaves at its default: validation decides
        if current is None or current != value:
            overrides[key] = value
    for firm, share in shares.items():
        strategy = overrides.get(f"firms.{firm}.strategy", scenario.firms[firm].strategy)
        unchanged = f"firms.{firm}.strategy" not in overrides
        if strategy != MIXED_STRATEGY:
            continue
        if unchanged and math.isclose(round(relations_share(firm_split(scenario, firm)), 2), share):
            continue  # the file's own split, whatever its detail
        overrides[f"firms.{firm}.split"] = mixed_split(share)
    return overrides


def responds_as(personality: str) -> str:
    """``personality`` as a predicate: ``"responds as a price matcher"``, ``"is passive"``,
    ``"responds as mine.responses:Cautious"``.

    Example:
        >>> responds_as("aggressor")
        'responds as an aggressor'
    """
    if personality == "passive":
        return "is passive"
    label = personality_label(personality)
    if personality not in PERSONALITIES:
        return f"responds as {label}"
    return f"responds as {'an' if label[0] in 'aeiou' else 'a'} {label}"


def _params_dropped(file: Scenario, in_force: Scenario) -> list[str]:
    """A note for each firm whose file params the personality chosen on the page does not take."""
    notes = []
    for name, firm in file.firms.items():
        response = in_force.firms[name].response
        if firm.response is None or response is None:
            continue
        dropped = sorted(set(firm.response.params) - set(response.params))
        if dropped:
            notes.append(
                f"{name}: the file's response params {', '.join(dropped)} are for its "
                f"{personality_label(firm.response.personality)}; {name} now {responds_as(response.personality)}, "
                "which does not take them, so they are left out (its defaults apply)"
            )
    return notes


def running_metrics(recorder: Recorder) -> dict[str, np.ndarray]:
    """Acquisition economics so far, week by week, per firm: what ``summary.json`` would report
    had the run stopped that week (:func:`sim.summary.running_economics`: acquisition-only and
    fully loaded CAC, LTV gross and net of retention cost).

    Example:
        >>> from sim import CustomerMarket, load_scenario
        >>> market = CustomerMarket(load_scenario("scenarios/baseline.toml", {"market.size": 300}))
        >>> for _ in range(3): market.step()
        >>> running_metrics(market.recorder)["cac"].shape
        (3, 2)
    """
    return running_economics(recorder)


# What a reaction did, in a few words for its marker, read from how sim.responses.state words each
# action (the first pattern that matches a part of ``did``; {0} is its first group); a custom
# response's own words get its rule's name.
REACTION_WORDS = (
    (re.compile(r"^price [\d.,]+ -> ([\d.,]+) \(its floor\)"), "price to {0}, its floor"),
    (re.compile(r"^price [\d.,]+ -> ([\d.,]+): matched "), "matched price ({0})"),
    (re.compile(r"^price [\d.,]+ -> ([\d.,]+): undercut "), "undercut price ({0})"),
    (re.compile(r"^budget [\d.,]+ -> ([\d.,]+) a week"), "raised budget to {0}"),
    (re.compile(r" of spend moved to "), "moved spend"),
    (re.compile(r"^win-back campaign"), "win-back campaign"),
    (re.compile(r"^back to its plan$"), "withdrew its reactions"),
)


def reaction_label(reaction: Reaction) -> str:
    """A reaction in a few words, for its marker on the charts: the firm and what it did.

    Example:
        >>> reaction_label(Reaction(6, "rival", "match the cheapest rival", "us's price 30.00 is 25%"
        ...                         " below its 40.00", "price 40.00 -> 30.00: matched us's 30.00"))
        'rival: matched price (30.00)'
    """
    words: list[str] = []
    for part in reaction.did.split("; "):
        said = reaction.rule
        for pattern, short in REACTION_WORDS:
            found = pattern.search(part)
            if found:
                said = short.format(*found.groups())
                break
        if said not in words:
            words.append(said)
    return f"{reaction.firm}: {' + '.join(words)}"


def reaction_marks(market: CustomerMarket) -> list[dict[str, Any]]:
    """Every reaction of the firms' responses so far (``market.reactions``), oldest first, as the
    charts mark them: week, firm, rule, what it saw, what it did, and its marker's label.

    Example:
        >>> from sim import load_scenario
        >>> scenario = load_scenario("scenarios/baseline.toml", {"market.size": 300, "firms.us.price": 30,
        ...                          "firms.rival.response.personality": "price_matcher"})
        >>> market = CustomerMarket(scenario)
        >>> for _ in range(4): market.step()
        >>> [(mark["week"], mark["label"]) for mark in reaction_marks(market)]
        [(3, 'rival: matched price (30.00)')]
    """
    return [{**reaction.as_dict(), "label": reaction_label(reaction)} for reaction in market.reactions]


class DashboardModel(mesa.Model):
    """The model SolaraViz shows: a market built from the page's settings and, beside it, the same
    market on the same seed with one firm on another strategy.

    Args:
        market_scenario: the scenario the page was opened with.
        seed: a whole number >= 0, as a number or as typed (text); empty means the scenario's.
        compare_firm: the firm whose strategy the second arm changes (default: the first firm).
        compare_strategy: that firm's strategy in the second arm, or ``"none"`` for no second arm.
        **kwargs: the controls' values by dotted scenario key (``firms.us.budget``,
            ``behaviours.adoption.word_of_mouth``, ``firms.us.relations_share``, ...). Mesa 3.5
            and later also pass a ``scenario`` of its own on Reset; it is not ours and is ignored
            (our scenario is ``market_scenario``).

    A setting the scenario rejects, or a seed that is not a whole number, is reported in
    :attr:`notices` (shown on the page) and the model falls back to the file's value.
    """

    def __init__(
        self,
        market_scenario: Scenario,
        seed: int | str | None = None,
        compare_firm: str | None = None,
        compare_strategy: str = NO_COMPARISON,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("scenario", None)  # Mesa >= 3.5's own scenario object (see Args)
        self.file_scenario = market_scenario
        self.notices: list[str] = []
        self.seed, problem = parse_seed(seed, market_scenario.run.seed)
        if problem:
            self.notices.append(problem)
        super().__init__(rng=self.seed)  # Mesa's generators are seeded; nothing here draws from them
        try:
            self.overrides = settings_overrides(market_scenario, kwargs)
            scenario = market_scenario.with_overrides(self.overrides)
        except ScenarioError as error:
            self.notices.append(f"{error}; showing the scenario as written")
            self.overrides, scenario = {}, market_scenario
        self.notices.extend(_params_dropped(market_scenario, scenario))
        self.market = CustomerMarket(scenario, seed=self.seed)
        self.compare_firm = compare_firm if compare_firm in scenario.firms else scenario.firm_names[0]
        self.compare_strategy = compare_strategy
        self.comparison: CustomerMarket | None = None
        if compare_strategy != NO_COMPARISON:
            try:
                other = scenario.with_overrides({f"firms.{self.compare_firm}.strategy": compare_strategy})
                self.comparison = CustomerMarket(other, seed=self.seed)
            except ScenarioError as error:
                self.notices.append(f"side by side: {error}")

    @property
    def scenario_in_force(self) -> Scenario:
        """The scenario the main market runs (the file with the page's settings)."""
        return self.market.scenario

    @property
    def week(self) -> int:
        return self.market.week

    def arm_label(self, market: CustomerMarket) -> str:
        """``"us: balanced"``: the compared firm and its strategy in ``market``."""
        return f"{self.compare_firm}: {market.scenario.firms[self.compare_firm].strategy}"

    def response_notes(self) -> list[str]:
        """How each responding firm responds in the market shown, in words: its personality and
        what it does, how late it perceives and how long a rule waits, and what of the file's
        response table is kept (its own rules, its params).

        Example:
            >>> from sim import load_scenario
            >>> model = DashboardModel(load_scenario("scenarios/baseline.toml", {"market.size": 300}),
            ...                        **{"firms.rival.response.personality": "price matcher"})
            >>> model.response_notes()[0]
            "rival responds as a price matcher: Matches a cheaper rival's price, down to a margin floor. \
It perceives the market 2 weeks late; a rule that acted waits 4 weeks before it acts again."
        """
        notes = []
        for name in responding_firms(self.scenario_in_force):
            response = self.scenario_in_force.firms[name].response
            personality = _personality(response)
            note = f"{name} {responds_as(personality)}: {personality_description(personality)}"
            if response is not None and (personality != "passive" or response.rules):
                note += (
                    f" It perceives the market {response.delay} week{'s' * (response.delay != 1)} late; "
                    f"a rule that acted waits {response.cooldown} weeks before it acts again"
                )
                if response.revert_after is not None:
                    note += f"; it withdraws every reaction after {response.revert_after} quiet weeks"
                note += "."
            if response is not None and response.rules:
                names = ", ".join(repr(rule.name) for rule in response.rules)
                note += f" Its own rules from the file, kept whatever the personality: {names}."
            if response is not None and response.params:
                given = ", ".join(f"{key} = {value}" for key, value in response.params.items())
                note += f" Its parameters from the file: {given}."
            notes.append(note)
        return notes

    def reaction_rows(self) -> list[dict[str, Any]]:
        """The reactions so far for the page's table (:func:`reaction_marks`), most recent first;
        with a side-by-side arm, each row says which side (``side``: "as set" or "switched")."""
        rows = [{"side": "as set", **mark} for mark in reaction_marks(self.market)]
        if self.comparison is not None:
            rows += [{"side": "switched", **mark} for mark in reaction_marks(self.comparison)]
        return sorted(rows, key=lambda row: -row["week"])

    def step(self) -> None:
        """One week of both arms."""
        self.market.step()
        if self.comparison is not None and self.comparison.running:
            self.comparison.step()
        self.running = self.market.running

    # ------------------------------------------------------------------ live events

    def entrants(self) -> list[str]:
        """Firms the scenario declares as entrants (an ``enter`` event) that are not in yet: the
        firms "a competitor enters now" can bring in."""
        declared = [event.firm for event in self.market.scenario.events if event.kind == "enter"]
        return [firm for firm in declared if not self.market.firm_open[self.market.firm(firm).index]]

    def trigger(self, event: dict[str, Any]) -> Struck | None:
        """Strike ``event`` (an ``[[events]]`` table without its timing) in the week about to run,
        in the market and in the side-by-side arm, so that the two stay a paired comparison
        (:meth:`sim.events.Timeline.trigger`). A name already used gets a number. An event the
        scenario rejects is reported in :attr:`notices` and nothing strikes (None)."""
        event = dict(event)
        used = {e.name for e in self.market.scenario.events} | {s.name for s in self.market.timeline.struck}
        name, number = event["name"], 2
        while event["name"] in used:
            event["name"], number = f"{name} ({number})", number + 1
        try:
            struck = self.market.timeline.trigger(self.market, event)
        except (ScenarioError, ValueError) as error:
            self.notices.append(f"event not triggered: {error}")
            return None
        if self.comparison is not None and self.comparison.week == self.market.week:
            try:
                self.comparison.timeline.trigger(self.comparison, event)
            except (ScenarioError, ValueError) as error:
                self.notices.append(f"side by side: event not triggered there: {error}")
        return struck

    def price_change_now(self, firm: str, price: float, weeks: int | None = None) -> Struck | None:
        """ "``firm`` changes its price now": to ``price`` for good, or for ``weeks`` weeks (a
        promotion) after which it returns to the price before."""
        event: dict[str, Any] = {"name": f"{firm} price {price:g}", "kind": "change",
                                 "key": f"firms.{firm}.price", "value": float(price)}  # fmt: skip
        if weeks:
            event["name"] += f" for {weeks} weeks"
            event["window"] = [1, 1 + int(weeks)]  # its length is kept from the week about to run
        return self.trigger(event)

    def competitor_enters_now(self, firm: str) -> Struck | None:
        """ "``firm`` enters now": one of :meth:`entrants`, with the launch its ``enter`` event in
        the file gives it (which then does not strike again later)."""
        if firm not in self.entrants():
            self.notices.append(
                f"{firm!r} cannot enter now: the firms that can are {', '.join(self.entrants()) or 'none'} "
                "(a scenario declares an entrant with an enter event)"
            )
            return None
        planned = next(e for e in self.market.scenario.events if e.kind == "enter" and e.firm == firm)
        event = planned.model_dump(exclude_none=True)
        event["name"] = f"{firm} enters"
        return self.trigger(event)

    def downturn_now(self, spending_drop: float, weeks: int) -> Struck | None:
        """ "A downturn now": purchase rates fall by ``spending_drop`` for ``weeks`` weeks."""
        return self.trigger({"name": f"downturn {100 * spending_drop:.0f}%", "kind": "downturn",
                             "spending_drop": float(spending_drop), "weeks": int(weeks)})  # fmt: skip

    def reputation_shock_now(self, firm: str, weeks: int, failure_rate: float = 0.2) -> Struck | None:
        """ "A reputation shock now": ``firm``'s service fails ``failure_rate`` more often for
        ``weeks`` weeks."""
        return self.trigger({"name": f"{firm} reputation shock", "kind": "reputation_shock", "firm": firm,
                             "failure_rate": float(failure_rate), "weeks": int(weeks)})  # fmt: skip

    def strike_now(
        self,
        what: str,
        firm: str | None = None,
        price: float | None = None,
        weeks: int = 0,
        spending_drop: float = 0.2,
        failure_rate: float = 0.2,
    ) -> Struck | None:
        """The page's "strike now" button: one of :data:`LIVE_EVENTS` with the panel's values
        (``weeks`` 0: a price change for good; a downturn or shock lasts at least a week).

        Example:
            >>> from sim import load_scenario
            >>> model = DashboardModel(load_scenario("scenarios/baseline.toml", {"market.size": 300}))
            >>> model.step()
            >>> model.strike_now("price", firm="rival", price=30, weeks=4)
            Struck(name='rival price 30 for 4 weeks', kind='change', week=2, end=6, live=True)
        """
        firm = firm or self.market.scenario.firm_names[0]
        if what == "price":
            return self.price_change_now(
                firm, self.market.firm(firm).price if price is None else price, weeks
            )
        if what == "enter":
            return self.competitor_enters_now(firm)
        if what == "downturn":
            return self.downturn_now(spending_drop, max(int(weeks), 1))
        if what == "reputation_shock":
            return self.reputation_shock_now(firm, max(int(weeks), 1), failure_rate)
        self.notices.append(f"event {what!r}: not one of {', '.join(LIVE_EVENTS)}")
        return None

    def __repr__(self) -> str:
        arms = f", beside {self.arm_label(self.comparison)}" if self.comparison else ""
        return f"DashboardModel({self.market!r}{arms})"
