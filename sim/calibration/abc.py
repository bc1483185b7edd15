"""Bayesian calibration: approximate Bayesian computation by sequential Monte Carlo (ABC-SMC).

Owns :func:`calibrate_abc` (``sim calibrate --method abc``) and what makes it reproducible: the
priors built from a targets file's ``[uncertainties]``, the distance, and :class:`BatchSampler`,
the pyabc sampler that draws candidates in this process and simulates them through the
experiments executor. The posterior it returns (tables, figures, files) is
:class:`sim.calibration.posterior.Posterior`.

The algorithm is pyabc's ABC-SMC (Toni et al. 2009; Klinger, Rickert & Hasenauer 2018): generation
0 draws ``population_size`` particles from the prior and accepts every valid one; each later
generation perturbs the previous particles with a multivariate normal kernel and accepts a
candidate whose distance to the observed targets is at most epsilon, the weighted median of the
previous generation's distances (pyabc's ``QuantileEpsilon``, alpha 0.5); importance weights
(prior over proposal density) keep the particles a sample of the ABC posterior. It stops after
``generations`` generations or once epsilon reaches ``min_epsilon``.

- **Priors**: a range ``{low, high}`` is uniform; a distribution ``{dist = "loguniform" |
  "uniform" | "triangular", ...}`` is that distribution. A log-uniform parameter is sampled and
  perturbed as log10 of its value, so the kernel's steps are relative.
- **Distance**: ``sqrt(J)``, the square root of the point fit's scale-free objective
  (:func:`sim.calibration.objective_terms`: each target point's error relative to its observed
  value, floored at 5% of the target's largest, weighted by target). Its scales come from the
  observed data, not from the particles (as pyabc's adaptive distances' do), so the distance is
  the same in every generation and after a resume, and a posterior is comparable with the point fit.
- **Candidates**: each is run on ``runs`` replicates and compared through the replicate means of
  every target point; its seeds are derived from (seed, generation, draw index), fresh for every
  candidate (fixed seeds for all would make the posterior ignore the simulation's own noise).
- **Any number of processes, same posterior**: :class:`BatchSampler` seeds NumPy's global
  generator (which pyabc's priors and kernels draw from) from (seed, generation), draws a batch
  of candidates, runs them through :func:`sim.execution.execute` (``--jobs``, ``--cluster``,
  cached under ``out``), then replays the same draws and accepts in draw order until the
  population is full. The accepted set is the one a one-process sampler would accept, whatever the
  batch sizes or worker count.
- **Resumable**: pyabc's history database (``<out>/abc/history.db``) holds every finished
  generation and the run cache every finished run; the same command again continues from the last
  finished generation (an interrupted generation redraws the same candidates and finds their runs
  on disk), and more ``generations`` extend a finished calibration.

Example:
    >>> from sim import load_scenario
    >>> s = load_scenario("scenarios/cdnow.toml", {"market.size": 2000})
    >>> post = calibrate_abc(s, "data/cdnow/targets.toml", population_size=20, generations=2)  # doctest: +SKIP
    >>> print(post.table()); post.write("results/cdnow/calibrate")  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import shutil
import sys
import time
from collections import deque
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyabc

from sim.calibration.fit import objective_terms, replicate_means
from sim.calibration.measure import runner_for
from sim.calibration.posterior import Posterior, posterior_table, predictive_bands
from sim.calibration.targets import TargetSet, load_targets
from sim.design import Distribution, check_uncertainties, typed_value
from sim.execution import RunSpec, config_hash, execute, shared_pool
from sim.manifest import Invocation
from sim.scenario import Scenario, ScenarioError
from sim.values import MAX_SEED

# A valid candidate's distance is finite; generation 0 accepts every one (an invalid combination
# of values, e.g. shares summing over 1, has distance infinity and is never accepted).
FIRST_EPSILON = 1e100
LIMITS = {  # setting -> (smallest, largest): what the command line and the file allow
    "population_size": (2, 100_000),
    "generations": (1, 1000),
    "predictive_draws": (2, 100_000),
    "runs": (1, 10_000),
}


# --------------------------------------------------------------------------- priors


def prior_of(targets: TargetSet, key: str) -> Distribution:
    """The prior of ``key``: the file's distribution, else uniform over its bounds.

    Example:
        >>> t = TargetSet({"a": (1.0, 3.0)}, [])
        >>> prior_of(t, "a").dist
        'uniform'
    """
    if key in targets.priors:
        return targets.priors[key]
    low, high = targets.uncertainties[key]
    return Distribution(dist="uniform", low=low, high=high)


def to_space(prior: Distribution, value: np.ndarray | float) -> np.ndarray | float:
    """A value in the space the sampler works in: log10 for a log-uniform prior, else itself."""
    return np.log10(value) if prior.dist == "loguniform" else value


def from_space(prior: Distribution, value: np.ndarray | float) -> np.ndarray | float:
    """The inverse of :func:`to_space`."""
    return 10.0**value if prior.dist == "loguniform" else value


def _pyabc_prior(priors: list[Distribution]) -> pyabc.Distribution:
    """pyabc's prior over the sampler's space, one parameter ``p<i>`` per fitted key."""
    rvs = {}
    for index, prior in enumerate(priors):
        low, high = to_space(prior, prior.low), to_space(prior, prior.high)
        if prior.dist == "triangular":
            rvs[f"p{index}"] = pyabc.RV("triang", (prior.mode - low) / (high - low), low, high - low)
        else:
            rvs[f"p{index}"] = pyabc.RV("uniform", low, high - low)
    return pyabc.Distribution(**rvs)


def candidate_seeds(seed: int, generation: int, draw: int, runs: int) -> list[int]:
    """The replicate seeds of the ``draw``-th candidate of a generation: a function of the three
    numbers only, so a candidate's runs are the same in any batch, process or resumed run
    (``generation`` -1 is the posterior predictive draws).

    Example:
        >>> candidate_seeds(1, 0, 0, 2) == candidate_seeds(1, 0, 0, 2) != candidate_seeds(1, 0, 1, 2)
        True
    """
    state = np.random.SeedSequence([seed, generation + 1, draw]).generate_state(runs, dtype=np.uint64)
    return [int(s % MAX_SEED) for s in state]


# --------------------------------------------------------------------------- the sampler


class _Pending(Exception):
    """Raised by the model while candidates are being drawn: carries the drawn parameter."""

    def __init__(self, parameter: dict[str, float]) -> None:
        super().__init__("candidate drawn")
        self.parameter = parameter


class CandidateModel:
    """pyabc's model: while drawing, stops at the parameter (raises); while replaying, returns the
    summary statistics the executor computed for that draw, in draw order."""

    def __init__(self) -> None:
        self.drawing = True
        self.queue: deque[tuple[dict[str, float], dict[str, Any]]] = deque()

    def __call__(self, parameter: Mapping[str, float]) -> dict[str, Any]:
        drawn = {k: float(v) for k, v in parameter.items()}
        if self.drawing:
            raise _Pending(drawn)
        expected, stats = self.queue.popleft()
        if drawn != expected:  # the replay must consume the generator exactly as the draw did
            raise RuntimeError(f"replayed candidate {drawn} differs from the drawn {expected}")
        return stats


class BatchSampler(pyabc.sampler.Sampler):
    """Draws candidates in this process from a generator seeded by (seed, generation), simulates
    each batch at once through ``evaluate`` (the executor: any number of processes or a cluster)
    and accepts in draw order, so the population does not depend on how the runs were spread.

    Args:
        model: the :class:`CandidateModel` pyabc calls.
        evaluate: ``(generation, first draw index, parameters) -> summary statistics``, in order.
        seed: the calibration's seed.
        report: called after each generation with (generation, draws, accepted).
    """

    def __init__(
        self,
        model: CandidateModel,
        evaluate: Callable[[int, int, list[dict[str, float]]], list[dict[str, Any]]],
        seed: int,
        report: Callable[[int, int, int], None] | None = None,
    ) -> None:
        super().__init__()
        self.model, self.evaluate, self.seed, self.report = model, evaluate, seed, report

    def sample_until_n_accepted(
        self,
        n: int,
        simulate_one: Callable[[], Any],
        t: int,
        *,
        max_eval: float = np.inf,
        all_accepted: bool = False,
        ana_vars: Any = None,
    ) -> Any:
        outside = np.random.get_state()  # noqa: NPY002  (pyabc draws from NumPy's global generator)
        np.random.seed(np.random.SeedSequence([self.seed, t + 2**20]).generate_state(1)[0])  # noqa: NPY002
        sample = self._create_empty_sample()
        drawn = accepted = evaluations = 0
        size = n
        try:
            while accepted < n and evaluations < max_eval:
                state = np.random.get_state()  # noqa: NPY002
                self.model.drawing = True
                parameters = []
                for _ in range(size):
                    try:
                        simulate_one()
                    except _Pending as pending:
                        parameters.append(pending.parameter)
                    else:
                        raise RuntimeError("pyabc simulated a candidate without calling the model")
                stats = self.evaluate(t, drawn, parameters)
                self.model.queue.extend(zip(parameters, stats, strict=True))
                self.model.drawing = False
                np.random.set_state(state)  # noqa: NPY002  (replay: the same draws, now with their results)
                for _ in range(size):
                    particle = simulate_one()
                    evaluations += 1
                    sample.append(particle)
                    accepted += bool(particle.accepted)
                    if accepted == n or evaluations >= max_eval:
                        break
                drawn += size
                # the next batch: what the acceptance so far says is needed, with 20% to spare
                rate = max(accepted / evaluations, 0.02)
                size = int(min(max(math.ceil(1.2 * (n - accepted) / rate), 1), 10 * n))
        finally:
            np.random.set_state(outside)  # noqa: NPY002
            self.model.queue.clear()
            self.model.drawing = True
        self.nr_evaluations_ = evaluations
        if accepted < n:
            sample.ok = False
        if self.report is not None:
            self.report(t, evaluations, accepted)
        return sample


# --------------------------------------------------------------------------- the calibration


class _Evaluator:
    """Runs a batch of candidates through the executor and returns their summary statistics:
    ``valid`` (0 for a combination of values the scenario refuses) and, per target, the
    replicate means of its points (NaN where undefined)."""

    def __init__(
        self,
        base: Scenario,
        keys: list[str],
        priors: list[Distribution],
        targets: TargetSet,
        runs: int,
        seed: int,
        execution: dict[str, Any],
    ) -> None:
        self.base, self.keys, self.priors, self.targets = base, keys, priors, targets
        self.runs, self.seed, self.execution = runs, seed, execution
        self.runner = runner_for(targets.targets)
        self.simulations = 0

    def values(self, parameter: Mapping[str, float]) -> dict[str, Any]:
        """The scenario values of a sampler parameter (``p<i>`` in the sampler's space)."""
        return {
            k: typed_value(self.base, k, float(from_space(prior, parameter[f"p{i}"])))
            for i, (k, prior) in enumerate(zip(self.keys, self.priors, strict=True))
        }

    def __call__(
        self, generation: int, first: int, parameters: list[dict[str, float]]
    ) -> list[dict[str, Any]]:
        scenarios: list[Scenario | None] = []
        for parameter in parameters:
            try:
                scenarios.append(self.base.with_overrides(self.values(parameter)))
            except ScenarioError:
                scenarios.append(None)
        return self.simulate(generation, first, scenarios)

    def simulate(self, generation: int, first: int, scenarios: list[Scenario | None]) -> list[dict[str, Any]]:
        """Statistics of each scenario (the ``first + i``-th draw of ``generation``)."""
        specs = [
            RunSpec(f"abc-{generation}-{first + i}", scenario, s, (), self.runner)
            for i, scenario in enumerate(scenarios)
            if scenario is not None
            for s in candidate_seeds(self.seed, generation, first + i, self.runs)
        ]
        results = iter(execute(specs, keep_timeseries=False, **self.execution)) if specs else iter(())
        self.simulations += len(specs)
        out = []
        for scenario in scenarios:
            stats: dict[str, Any] = {"valid": np.array([0.0 if scenario is None else 1.0])}
            measured = (
                [] if scenario is None else [next(results).summary["measures"] for _ in range(self.runs)]
            )
            for index, target in enumerate(self.targets.targets):
                if scenario is None:
                    stats[f"t{index}"] = np.full(len(target.values), np.nan)
                    continue
                means = replicate_means([m[index] for m in measured])["mean"]
                stats[f"t{index}"] = np.array([np.nan if v is None else v for v in means])
            out.append(stats)
        return out


def distance_for(targets: TargetSet) -> Callable[[dict[str, Any], dict[str, Any]], float]:
    """The distance between a candidate's statistics and the observed: ``sqrt(J)`` (module docstring).

    Example:
        >>> from sim.calibration.targets import Target
        >>> t = TargetSet({}, [Target("scalar", (), (100.0,), metric="ltv", firm="us")])
        >>> round(distance_for(t)({"valid": [1.0], "t0": np.array([110.0])}, {}), 6)
        0.1
    """
    weights = np.array([t.weight for t in targets.targets])
    observed = [t.values for t in targets.targets]

    def distance(x: dict[str, Any], x_0: dict[str, Any]) -> float:
        if not x["valid"][0]:
            return math.inf
        errors = [
            objective_terms(o, [None if np.isnan(v) else float(v) for v in x[f"t{i}"]])[0]
            for i, o in enumerate(observed)
        ]
        return float(math.sqrt(np.dot(weights, errors) / weights.sum()))

    return distance


def _check(name: str, value: Any, source: str, option: bool) -> None:
    """A setting outside its range is refused naming where it was given."""
    where = f"--{name.replace('_', '-')}" if option else f"{source}: [settings] {name}"
    if name == "min_epsilon":
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not (math.isfinite(value) and value >= 0)
        ):
            raise ScenarioError(f"{where} = {value!r}: must be a finite number >= 0")
        return
    low, high = LIMITS[name]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ScenarioError(f"{where} = {value!r}: must be a whole number from {low} to {high:,}")


def _state_key(
    base: Scenario, targets: TargetSet, keys: list[str], priors: list[Distribution], settings: dict[str, Any]
) -> str:
    """What a resumed calibration must share with the interrupted one (not the generations or
    min_epsilon: more generations continue the same chain)."""
    data = {
        "scenario": config_hash(base),
        "targets": repr(runner_for(targets.targets)),
        "weights": [t.weight for t in targets.targets],
        "priors": {k: p.model_dump(exclude_none=True) for k, p in zip(keys, priors, strict=True)},
        **{k: settings[k] for k in ("population_size", "runs", "seed")},
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def calibrate_abc(
    scenario: Scenario,
    targets: TargetSet | str | os.PathLike[str],
    uncertainties: Mapping[str, Any] | None = None,
    runs: int | None = None,
    seed: int | None = None,
    population_size: int | None = None,
    generations: int | None = None,
    min_epsilon: float | None = None,
    predictive_draws: int | None = None,
    truth: Mapping[str, float] | None = None,
    out: str | os.PathLike[str] | None = None,
    *,
    options: bool = False,
    **execution: Any,
) -> Posterior:
    """Bayesian calibration of the targets' parameters by ABC-SMC (module docstring).

    Args:
        scenario: the scenario to calibrate (its other values stay as they are).
        targets: a :class:`TargetSet` or the path of a targets file.
        uncertainties: dotted key -> range or distribution, replacing the file's ``[uncertainties]``.
        runs, seed, population_size, generations, min_epsilon, predictive_draws: replace the
            file's ``[settings]``.
        truth: dotted key -> the value that made synthetic targets, marked in the figures and
            checked against the credible intervals.
        out: the folder of the run cache and pyabc's history (``<out>/runs``, ``<out>/abc``):
            what makes the calibration resumable. None: a temporary folder, removed after.
        options: the settings came from the command line (refusals name ``--option``).
        **execution: ``jobs``, ``cluster``, ``progress`` as in :func:`sim.experiments.execute`.

    Raises:
        ScenarioError: a setting outside its range, naming where it was given.

    Example:
        >>> from sim import load_scenario
        >>> s = load_scenario("scenarios/research.toml", {"market.size": 300, "run.weeks": 20})
        >>> post = calibrate_abc(s, "results/recovery/truth.toml", population_size=20, jobs=1)  # doctest: +SKIP
        >>> post.table_frame[["parameter", "q05", "q95", "narrowing"]]  # doctest: +SKIP
    """
    started = time.perf_counter()
    invocation = Invocation.api(
        "sim.calibration.calibrate_abc", targets=targets if not isinstance(targets, TargetSet) else targets.source,
        uncertainties=uncertainties, runs=runs, seed=seed, population_size=population_size,
        generations=generations, min_epsilon=min_epsilon, predictive_draws=predictive_draws, out=out, **execution,
    )  # fmt: skip
    progress = bool(execution.pop("progress", False))
    if not isinstance(targets, TargetSet):
        targets = load_targets(targets, scenario, uncertainties)
    elif uncertainties is not None:
        fitted = check_uncertainties(scenario, uncertainties, "--param")
        targets = TargetSet(
            **{
                **targets.__dict__,
                "uncertainties": {u.key: (u.distribution or u.range).ends() for u in fitted},
                "priors": {u.key: u.distribution for u in fitted if u.distribution is not None},
            }
        )
    given = {
        "runs": runs, "population_size": population_size, "generations": generations,
        "min_epsilon": min_epsilon, "predictive_draws": predictive_draws,
    }  # fmt: skip
    settings: dict[str, Any] = {}
    for name, value in given.items():
        settings[name] = getattr(targets, name) if value is None else value
        _check(name, settings[name], targets.source, options and value is not None)
    seed = targets.seed if seed is None else seed
    settings["seed"] = scenario.run.seed if seed is None else seed
    keys = list(targets.uncertainties)
    priors = [prior_of(targets, k) for k in keys]
    base = scenario.without_experiments()
    if truth is not None:
        unknown = sorted(set(truth) - set(keys))
        if unknown:
            raise ScenarioError(f"--truth {unknown[0]}: not a fitted parameter; fitted: {', '.join(keys)}")

    temporary = out is None
    folder = Path(out) if out is not None else Path(_temporary_folder())
    try:
        with shared_pool(execution.get("jobs")):
            history, evaluator, resumed = _run_smc(
                base, targets, keys, priors, settings, folder, execution, progress
            )
            particles, diagnostics = _read_history(history, keys, priors, settings["runs"])
            table = posterior_table(particles, keys, priors, truth)
            predictive = _predictive(evaluator, particles, keys, settings)
    finally:
        if temporary:
            shutil.rmtree(folder, ignore_errors=True)
    bands = predictive_bands(targets, predictive)
    fit = {
        "scenario": scenario.name,
        "source": scenario.source,
        "hash": config_hash(base),
        "targets_file": targets.source,
        "method": "abc",
        "library": f"pyabc {pyabc.__version__}",
        **settings,
        "generations_run": len(diagnostics),
        "resumed_from_generation": resumed,
        "simulations_this_call": evaluator.simulations,
        "distance": "sqrt(J), J = sum_t w_t E_t / sum_t w_t; E_t = mean_i ((s_ti - o_ti) / max(|o_ti|, 0.05 max_j |o_tj|))^2",
        "epsilon": "weighted median of the previous generation's distances (generation 0: every valid prior draw)",
        "priors": {k: p.model_dump(exclude_none=True) for k, p in zip(keys, priors, strict=True)},
        "truth": dict(truth) if truth is not None else None,
        "seconds": round(time.perf_counter() - started, 1),
    }
    return Posterior(particles, table, diagnostics, bands, targets, fit, keys, priors, invocation, base)


def _temporary_folder() -> str:
    import tempfile

    return tempfile.mkdtemp(prefix="sim-abc-")


def _run_smc(
    base: Scenario,
    targets: TargetSet,
    keys: list[str],
    priors: list[Distribution],
    settings: dict[str, Any],
    folder: Path,
    execution: dict[str, Any],
    progress: bool,
) -> tuple[Any, _Evaluator, int | None]:
    """Run (or continue) pyabc's ABC-SMC; returns its history, the evaluator and the generation
    a resumed calibration continued from (None: started afresh)."""
    for name in ("ABC", "ABC.History", "ABC.Distance", "ABC.Epsilon", "ABC.Sampler", "ABC.Transition"):
        logging.getLogger(name).setLevel(logging.WARNING)  # our own line per generation instead
    evaluator = _Evaluator(
        base, keys, priors, targets, settings["runs"], settings["seed"], {**execution, "out": folder}
    )

    def report(t: int, evaluations: int, accepted: int) -> None:
        if progress:
            print(
                f"abc: generation {t}: {accepted} accepted of {evaluations} candidates "
                f"({evaluations * settings['runs']} runs)",
                file=sys.stderr,
            )

    model = CandidateModel()
    sampler = BatchSampler(model, evaluator, settings["seed"], report)
    smc = pyabc.ABCSMC(
        model,
        _pyabc_prior(priors),
        distance_for(targets),
        population_size=settings["population_size"],
        sampler=sampler,
        eps=pyabc.QuantileEpsilon(initial_epsilon=FIRST_EPSILON, alpha=0.5, weighted=True),
    )
    store = folder / "abc"
    store.mkdir(parents=True, exist_ok=True)
    database, state_file = store / "history.db", store / "state.json"
    key = _state_key(base, targets, keys, priors, settings)
    state = json.loads(state_file.read_text()) if state_file.exists() else {}
    db = f"sqlite:///{database.resolve()}"
    resumed = None
    history = None
    if state.get("key") == key and database.exists():
        history = smc.load(db, state["abc_id"])
        if history.n_populations == 0:
            history = None  # interrupted in generation 0: nothing to continue from
    if history is None:
        database.unlink(missing_ok=True)
        observed = {"valid": np.array([1.0])}
        observed.update({f"t{i}": np.array(t.values, dtype=float) for i, t in enumerate(targets.targets)})
        history = smc.new(db, observed)
        state_file.write_text(json.dumps({"key": key, "abc_id": history.id}))
        done = 0
    else:
        done = history.max_t + 1
        resumed = done
        # pyabc would start a resumed run at the initial epsilon (infinite here); the weighted median
        # of the last stored generation's distances is what the uninterrupted run used
        smc.eps = pyabc.QuantileEpsilon(initial_epsilon="from_sample", alpha=0.5, weighted=True)
    last_epsilon = history.get_all_populations()["epsilon"].iloc[-1] if done else math.inf
    left = settings["generations"] - done
    if left > 0 and not (done and last_epsilon <= settings["min_epsilon"]):
        history = smc.run(minimum_epsilon=settings["min_epsilon"], max_nr_populations=left)
    return history, evaluator, resumed


def _read_history(
    history: Any, keys: list[str], priors: list[Distribution], runs: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The last generation's particles (parameters in scenario units, weight, distance) and the
    diagnostics of every generation."""
    t = history.max_t
    population = history.get_population(t=t)
    particles = pd.DataFrame(
        {
            k: [float(from_space(p, particle.parameter[f"p{i}"])) for particle in population.particles]
            for i, (k, p) in enumerate(zip(keys, priors, strict=True))
        }
    )
    weights = np.array([particle.weight for particle in population.particles], dtype=float)
    particles["weight"] = weights / weights.sum()
    particles["distance"] = [float(particle.distance) for particle in population.particles]
    populations = history.get_all_populations()
    populations = populations[populations["t"] >= 0]
    rows = []
    for row in populations.itertuples():
        _, w = history.get_distribution(m=0, t=int(row.t))
        rows.append(
            {
                "generation": int(row.t),
                "epsilon": None if row.epsilon >= FIRST_EPSILON else float(row.epsilon),
                "candidates": int(row.samples),
                "accepted": int(row.particles),
                "acceptance_rate": row.particles / row.samples,
                "effective_sample_size": float(
                    pyabc.weighted_statistics.effective_sample_size(np.asarray(w))
                ),
                "runs": int(row.samples) * runs,
            }
        )
    return particles.reset_index(drop=True), pd.DataFrame(rows)


def _predictive(
    evaluator: _Evaluator, particles: pd.DataFrame, keys: list[str], settings: dict[str, Any]
) -> list[dict[str, Any]]:
    """Statistics of ``predictive_draws`` parameter sets drawn from the posterior by weight, each
    run on fresh seeds (generation -1 of :func:`candidate_seeds`)."""
    rng = np.random.default_rng([settings["seed"], 7])
    chosen = rng.choice(len(particles), size=settings["predictive_draws"], p=particles["weight"].to_numpy())
    scenarios: list[Scenario | None] = []
    for index in chosen:
        values = {k: typed_value(evaluator.base, k, float(particles.loc[index, k])) for k in keys}
        try:
            scenarios.append(evaluator.base.with_overrides(values))
        except ScenarioError:
            scenarios.append(None)
    return evaluator.simulate(-1, 0, scenarios)
