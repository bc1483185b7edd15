"""Scenario discovery: the conditions (ranges of the sampled uncertainties) under which a case holds.

Owns the analysis ``sim discover`` runs on its design once every market has an outcome: given one
row per sampled market (one column per uncertainty, a dotted scenario key) and a boolean per market
marking the case of interest ("relations wins", "conquest misses its profit target"),
:func:`find_conditions` describes where the cases lie three ways, each from a maintained library:

- **PRIM** (the EMA workbench's :class:`ema_workbench.analysis.prim.Prim`, the patient rule
  induction method of Friedman & Fisher as scenario discovery uses it, Bryant & Lempert 2010): the
  peeling and pasting trajectory of ever smaller boxes (coverage: the share of all cases inside;
  density: the share of the box's markets that are cases; mass: the share of all markets inside),
  the chosen box with its limits on each restricted dimension, and each restriction's quasi-p-value
  (a one-sided binomial test of whether lifting that restriction would lower the density by chance);
- **a classification tree** (scikit-learn's ``DecisionTreeClassifier``, shallow and class-balanced)
  as readable rules with their precision, and its cross-validated accuracy;
- **feature scores** (the workbench's ``get_ex_feature_scores``: extra-trees importance) per
  uncertainty.

The workbench is imported only inside :func:`find_conditions` (it takes seconds to import), so the
CLI stays fast until an analysis runs.

Example:
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> inputs = pd.DataFrame({"a": rng.random(400), "b": rng.random(400)})
    >>> found = find_conditions(inputs, (inputs["a"] > 0.5).to_numpy())
    >>> found["prim"]["box"]["restricted"], round(found["prim"]["box"]["limits"]["a"]["low"], 1)
    (['a'], 0.5)
"""

from __future__ import annotations

import inspect
import logging
import warnings
from collections.abc import Mapping
from importlib.metadata import version
from typing import Any

import numpy as np
import pandas as pd

# Restrictions with a quasi-p-value below this are called significant (the workbench's convention).
SIGNIFICANCE = 0.05
# The tree: shallow enough to read, balanced so a rare case still gets its own leaves, no leaf
# smaller than this share of the markets (a rule about a handful of markets is noise).
TREE_DEPTH = 3
TREE_LEAF_SHARE = 0.05
TREE_FOLDS = 5
SEED = 0
# Workbench 2.x's Prim takes a ``threshold``: which y count as cases (y >= threshold) and whether
# find_box keeps its box (mean >= threshold) or swaps in the whole space. Any value in (0, 1] counts
# exactly the markets marked True, and the smallest keeps the peeled box, so the box is chosen here
# (workbench 3.0 dropped the argument and always keeps the box).
_PRIM_CASE_LEVEL = 1e-9


def find_conditions(
    inputs: pd.DataFrame,
    case: np.ndarray,
    *,
    names: dict[str, str] | None = None,
    peel_alpha: float = 0.05,
    mass_min: float = 0.05,
    threshold: float = 0.8,
    select: int | None = None,
) -> dict[str, Any]:
    """Describe the region of the sampled uncertainties where ``case`` holds.

    ``inputs``: one row per sampled market, one column per uncertainty (a dotted scenario key),
    numeric or categorical (strings; booleans are read as the strings ``"True"``/``"False"``).
    ``case``: a boolean per row. ``names``: short labels of the keys for figures (default: the
    keys). ``peel_alpha`` and ``mass_min``: PRIM's share of the box peeled per step and the
    smallest box it may reach. ``threshold``: the density the chosen box must reach.
    ``select``: a box of the peeling trajectory to report instead (its index, as the workbench's
    ``select``): read the trade-off of coverage against density first (the trajectory, or
    :func:`sim.plots.discover.prim_trajectory_figure`), then choose, e.g. the broadest box that
    reaches the density you need.

    Returns a JSON-able dict:

    - ``"prim"``: ``trajectory`` (one dict per box: ``index``, ``coverage``, ``density``, ``mass``,
      ``markets``, ``cases``, ``res_dim``, ``restricted``), ``chosen`` (its index), ``rule`` (why:
      the last box with density >= threshold, or the densest when none reaches it), and ``box``:
      ``coverage``, ``density``, ``mass``, ``markets``, ``cases``, ``restricted`` (keys) and
      ``limits`` per restricted key (numbers: ``low``, ``high``, the ``sampled`` range and ``qp``
      per restricted side; categories: ``kept`` and ``sampled`` values and ``qp``), with
      ``significance`` (the largest quasi-p-value of its restrictions) and ``significant``;
    - ``"tree"``: ``rules`` (one per leaf that predicts the case: ``text``, ``conditions``,
      ``precision``, ``markets``, ``cases``), ``leaves``, ``cv`` (accuracy and balanced accuracy
      over stratified folds) and its settings;
    - ``"scores"``: extra-trees feature score per key (they sum to 1), highest first;
    - ``"case"``: ``cases``, ``rows``, ``share``; ``"names"``: the label of every key;
      ``"method"``: which library (and version) did what.

    When no market, or every market, is a case there is nothing to separate: ``prim``, ``tree``
    and ``scores`` are None and ``"note"`` says why. A malformed input raises ValueError naming
    the column or argument.

    Example:
        >>> import numpy as np, pandas as pd
        >>> inputs = pd.DataFrame({"rival": ["passive", "matcher"] * 100, "x": np.linspace(0, 1, 200)})
        >>> found = find_conditions(inputs, (inputs["rival"] == "passive").to_numpy())
        >>> found["prim"]["box"]["limits"]["rival"]["kept"], found["tree"]["rules"][0]["text"]
        (['passive'], 'rival in {passive} -> case (precision 1.00, 100 markets)')
    """
    x, y = _checked(inputs, case, peel_alpha, mass_min, threshold)
    labels = {key: str((names or {}).get(key, key)) for key in x.columns}
    cases = int(y.sum())
    result: dict[str, Any] = {
        "case": {"cases": cases, "rows": len(y), "share": cases / len(y)},
        "names": labels,
        "settings": {"peel_alpha": peel_alpha, "mass_min": mass_min, "threshold": threshold},
        "method": _method(peel_alpha, mass_min, len(y)),
    }
    if cases in (0, len(y)):
        note = "no market is a case" if cases == 0 else "every market is a case"
        return {**result, "prim": None, "tree": None, "scores": None, "note": f"{note}: nothing to separate"}
    with warnings.catch_warnings():
        # The workbench warns at import about optional parallel back-ends it does not need here.
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import feature_scoring, prim
    logging.getLogger("EMA").setLevel(logging.WARNING)
    with warnings.catch_warnings():
        # The workbench's own pandas idioms (inplace drops) warn under pandas 3; not our code to fix.
        warnings.filterwarnings("ignore", module=r"ema_workbench\.")
        result["prim"] = _prim(prim, x, y, peel_alpha, mass_min, threshold, select)
        result["scores"] = _scores(feature_scoring, x, y)
    result["tree"] = _tree(x, y, labels)
    return result


# --------------------------------------------------------------------------- input


def _checked(
    inputs: pd.DataFrame, case: Any, peel_alpha: float, mass_min: float, threshold: float
) -> tuple[pd.DataFrame, np.ndarray]:
    """The inputs as PRIM reads them (floats, int64 or strings) and the case as 0/1 ints."""
    if not isinstance(inputs, pd.DataFrame) or inputs.shape[1] == 0 or len(inputs) == 0:
        raise ValueError(
            "inputs: expected a DataFrame with one row per market and one column per uncertainty"
        )
    flags = np.asarray(case)
    if flags.ndim != 1 or len(flags) != len(inputs):
        raise ValueError(
            f"case: expected one flag per row of inputs ({len(inputs)}), got shape {flags.shape}"
        )
    if flags.dtype != bool and not np.isin(flags, (0, 1)).all():
        raise ValueError(f"case: expected booleans (or 0/1), got values such as {flags[:3].tolist()}")
    for name, value, low, high in (
        ("peel_alpha", peel_alpha, 0.0, 0.5),
        ("mass_min", mass_min, 0.0, 1.0),
        ("threshold", threshold, 0.0, 1.0),
    ):
        if not low < value <= high:
            raise ValueError(f"{name}: {value} is not in ({low}, {high}]")
    columns = {}
    for key in inputs.columns:
        column = inputs[key]
        if column.isna().any():
            raise ValueError(f"inputs: column {key!r} has {int(column.isna().sum())} missing values")
        if pd.api.types.is_bool_dtype(column) or not pd.api.types.is_numeric_dtype(column):
            columns[str(key)] = column.astype(str).astype(object)
        elif pd.api.types.is_integer_dtype(column):
            columns[str(key)] = column.astype(np.int64)
        else:
            columns[str(key)] = column.astype(np.float64)
    x = pd.DataFrame(columns).reset_index(drop=True)
    return x, flags.astype(int)


def _method(peel_alpha: float, mass_min: float, rows: int) -> dict[str, str]:
    workbench, learn = version("ema_workbench"), version("scikit-learn")
    leaf = max(1, round(TREE_LEAF_SHARE * rows))
    return {
        "prim": f"ema_workbench {workbench}: analysis.prim.Prim (lenient1 objective, peel_alpha "
        f"{peel_alpha}, paste_alpha 0.05, mass_min {mass_min}); quasi-p-values of its restrictions",
        "tree": f"scikit-learn {learn}: tree.DecisionTreeClassifier(max_depth={TREE_DEPTH}, "
        f"class_weight='balanced', min_samples_leaf={leaf}, random_state={SEED}), categories one-hot; "
        f"accuracy by model_selection.cross_validate over {TREE_FOLDS} stratified folds",
        "scores": f"ema_workbench {workbench}: analysis.feature_scoring.get_ex_feature_scores "
        f"(scikit-learn {learn} ExtraTreesClassifier, 100 trees, random_state={SEED})",
    }


# --------------------------------------------------------------------------- PRIM


def _prim(
    prim: Any,
    x: pd.DataFrame,
    y: np.ndarray,
    peel_alpha: float,
    mass_min: float,
    threshold: float,
    select: int | None = None,
) -> dict:
    options: dict[str, Any] = {"peel_alpha": peel_alpha, "mass_min": mass_min}
    if "threshold" in inspect.signature(prim.Prim).parameters:  # workbench 2.x
        options["threshold"] = _PRIM_CASE_LEVEL
    box = prim.Prim(x, y, **options).find_box()
    quasi_p = box.p_values if hasattr(box, "p_values") else box.qp  # renamed in workbench 3.0
    # The workbench drops categorical columns with one value; they restrict nothing.
    initial = box.box_lims[0]
    table = box.peeling_trajectory.reset_index(drop=True)
    trajectory = []
    for i, row in table.iterrows():
        restricted = _restricted(box.box_lims[i], initial)
        trajectory.append({
            "index": int(i), "coverage": float(row["coverage"]), "density": float(row["density"]),
            "mass": float(row["mass"]), "markets": int(row["n"]), "cases": int(row["k"]),
            "res_dim": len(restricted), "restricted": restricted,
        })  # fmt: skip
    dense = [b["index"] for b in trajectory if b["density"] >= threshold]
    if select is not None:
        if not -len(trajectory) <= select < len(trajectory):
            raise ValueError(f"select = {select}: the peeling trajectory has boxes 0-{len(trajectory) - 1}")
        chosen = select % len(trajectory)
        rule = f"box {chosen} of the trajectory, chosen by hand (select)"
    elif dense:
        chosen = dense[-1]
        rule = f"the last box on the trajectory with density >= {threshold:g}"
    else:
        chosen = max(trajectory, key=lambda b: (b["density"], b["coverage"]))["index"]
        rule = f"no box reaches density {threshold:g}: the densest box"
    limits = _limits(box.box_lims[chosen], initial, quasi_p[chosen], trajectory[chosen]["restricted"])
    worst = max((max(d["qp"].values()) for d in limits.values()), default=None)
    summary = {
        k: trajectory[chosen][k] for k in ("coverage", "density", "mass", "markets", "cases", "res_dim")
    }
    return {
        "trajectory": trajectory,
        "chosen": chosen,
        "rule": rule,
        "box": {
            **summary,
            "restricted": trajectory[chosen]["restricted"],
            "limits": limits,
            "significance": worst,
            "significant": worst is not None and worst < SIGNIFICANCE,
        },
    }


def _restricted(limits: pd.DataFrame, initial: pd.DataFrame) -> list[str]:
    return [
        str(key)
        for key in initial.columns
        if any(_differs(limits[key].iloc[side], initial[key].iloc[side]) for side in (0, 1))
    ]


def _differs(a: Any, b: Any) -> bool:
    if isinstance(a, set | frozenset):
        return set(a) != set(b)
    return bool(a != b)


def _limits(
    limits: pd.DataFrame, initial: pd.DataFrame, qp: Mapping[str, list[float]], keys: list[str]
) -> dict:
    """Each restricted dimension: its limits, the sampled range and the quasi-p-value of each
    restricted side (the workbench writes -1 for a side left at the sampled edge)."""
    out = {}
    for key in keys:
        low, high = limits[key].iloc[0], limits[key].iloc[1]
        values = qp.get(key, [-1.0, -1.0])
        if isinstance(low, set | frozenset):
            out[key] = {
                "kind": "category",
                "kept": sorted(str(v) for v in low),
                "sampled": sorted(str(v) for v in initial[key].iloc[0]),
                "qp": {"kept": float(values[0])},
            }
            continue
        sides = {"low": float(values[0]), "high": float(values[1])}
        out[key] = {
            "kind": "number",
            "low": float(low),
            "high": float(high),
            "sampled": [float(initial[key].iloc[0]), float(initial[key].iloc[1])],
            "qp": {side: p for side, p in sides.items() if p >= 0},
        }
    return out


# --------------------------------------------------------------------------- the tree


def _encoded(x: pd.DataFrame) -> tuple[np.ndarray, list[tuple[str, Any]]]:
    """Numbers as they are, each category value as a 0/1 column; the meaning of every column:
    ``(key, None)`` for a number, ``(key, value)`` for "key is value"."""
    columns, meaning = [], []
    for key in x.columns:
        if x[key].dtype == object:
            for value in sorted(x[key].unique()):
                columns.append((x[key] == value).to_numpy(dtype=float))
                meaning.append((key, value))
        else:
            columns.append(x[key].to_numpy(dtype=float))
            meaning.append((key, None))
    return np.column_stack(columns), meaning


def _tree(x: pd.DataFrame, y: np.ndarray, labels: dict[str, str]) -> dict:
    from sklearn.model_selection import StratifiedKFold, cross_validate
    from sklearn.tree import DecisionTreeClassifier

    features, meaning = _encoded(x)
    leaf = max(1, round(TREE_LEAF_SHARE * len(y)))
    settings = {
        "max_depth": TREE_DEPTH,
        "class_weight": "balanced",
        "min_samples_leaf": leaf,
        "random_state": SEED,
    }
    model = DecisionTreeClassifier(**settings).fit(features, y)
    predicted = model.predict(features)
    through = model.decision_path(features).tocsc()
    rules = []
    for node, path in _paths(model.tree_, model.classes_).items():
        inside = through[:, node].toarray().ravel() > 0
        if not inside.any() or _predicts(model.tree_, model.classes_, node) != 1:
            continue
        conditions = _conditions(path, meaning, x, labels)
        precision, markets = float(y[inside].mean()), int(inside.sum())
        text = " and ".join(c["text"] for c in conditions) or "every market"
        rules.append({
            "text": f"{text} -> case (precision {precision:.2f}, {markets} markets)",
            "label": " and ".join(c["label"] for c in conditions) or "every market",
            "conditions": conditions, "precision": precision, "markets": markets,
            "cases": int(y[inside].sum()), "coverage": float(y[inside].sum() / y.sum()),
        })  # fmt: skip
    rules.sort(key=lambda r: (-r["cases"], -r["precision"]))
    smallest = int(min(y.sum(), len(y) - y.sum()))
    folds = min(TREE_FOLDS, smallest)
    cv: dict[str, Any] = {
        "folds": folds,
        "basis": "share of held-out markets classified right, mean over folds",
    }
    if folds >= 2:
        scores = cross_validate(
            DecisionTreeClassifier(**settings), features, y,
            cv=StratifiedKFold(folds, shuffle=True, random_state=SEED), scoring=("accuracy", "balanced_accuracy"),
        )  # fmt: skip
        cv |= {
            "accuracy": float(scores["test_accuracy"].mean()),
            "accuracy_sd": float(scores["test_accuracy"].std()),
            "balanced_accuracy": float(scores["test_balanced_accuracy"].mean()),
        }
    else:
        cv |= {"accuracy": None, "balanced_accuracy": None, "note": f"only {smallest} markets in one class"}
    return {
        "rules": rules,
        "leaves": int(model.get_n_leaves()),
        "depth": int(model.get_depth()),
        "training_accuracy": float((predicted == y).mean()),
        "cv": cv,
        "settings": settings,
    }


def _predicts(tree: Any, classes: np.ndarray, node: int) -> Any:
    """The class a node predicts (its largest class weight, as ``predict`` decides at a leaf)."""
    return classes[int(np.argmax(tree.value[node][0]))]


def _paths(tree: Any, classes: np.ndarray) -> dict[int, list[tuple[int, float, bool]]]:
    """Every rule's node and its path from the root: (feature, threshold, went right i.e. value >
    threshold). A subtree whose leaves all predict one class is one rule: sklearn keeps splits
    that change the purity but not the prediction, and a rule split in two that way says nothing."""

    def uniform(node: int) -> set:
        left, right = tree.children_left[node], tree.children_right[node]
        if left == right:
            return {_predicts(tree, classes, node)}
        return uniform(left) | uniform(right)

    out: dict[int, list[tuple[int, float, bool]]] = {}
    stack: list[tuple[int, list[tuple[int, float, bool]]]] = [(0, [])]
    while stack:
        node, path = stack.pop()
        left, right = tree.children_left[node], tree.children_right[node]
        if left == right or len(uniform(node)) == 1:
            out[node] = path
            continue
        feature, cut = int(tree.feature[node]), float(tree.threshold[node])
        stack.append((left, [*path, (feature, cut, False)]))
        stack.append((right, [*path, (feature, cut, True)]))
    return out


def _conditions(
    path: list[tuple[int, float, bool]],
    meaning: list[tuple[str, Any]],
    x: pd.DataFrame,
    labels: dict[str, str],
) -> list[dict]:
    """A path's tests merged per key: the tightest bounds of a number, the values a category may
    take; each as ``text`` (with the key) and ``label`` (with its short label, for figures)."""
    bounds: dict[str, dict[str, Any]] = {}
    for feature, cut, right in path:
        key, value = meaning[feature]
        entry = bounds.setdefault(key, {"key": key})
        if value is None:
            side = "low" if right else "high"  # right: value > cut; left: value <= cut
            current = entry.get(side)
            entry[side] = cut if current is None else (max(current, cut) if right else min(current, cut))
        else:
            allowed = entry.setdefault("in", set(x[key].unique()))
            entry["in"] = allowed & {value} if right else allowed - {value}
    out = []
    for key, entry in bounds.items():
        if "in" in entry:
            kept = sorted(str(v) for v in entry["in"])
            said = f" in {{{', '.join(kept)}}}"
            out.append({"key": key, "in": kept, "text": key + said, "label": labels[key] + said})
            continue
        low, high = entry.get("low"), entry.get("high")
        if low is not None and high is not None:
            said = f"{_number(low)} < {{}} <= {_number(high)}"
        elif low is not None:
            said = f"{{}} > {_number(low)}"
        else:
            said = f"{{}} <= {_number(high)}"
        out.append(
            {
                "key": key,
                "low": low,
                "high": high,
                "text": said.format(key),
                "label": said.format(labels[key]),
            }
        )
    return out


def _number(value: float) -> str:
    """A limit as a rule shows it: four significant figures, thousands separated."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


# --------------------------------------------------------------------------- feature scores


def _scores(feature_scoring: Any, x: pd.DataFrame, y: np.ndarray) -> dict[str, float]:
    table, _ = feature_scoring.get_ex_feature_scores(x, y, random_state=SEED)
    scored = {str(key): float(value) for key, value in table.iloc[:, 0].items()}
    # A column the workbench dropped (one category) tells the cases apart not at all.
    full = {key: scored.get(key, 0.0) for key in x.columns}
    return dict(sorted(full.items(), key=lambda item: -item[1]))
