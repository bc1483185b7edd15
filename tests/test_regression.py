"""An exact regression baseline: the numbers of two small runs, updated only on purpose.

If a change to the model moves these numbers on purpose, regenerate the baseline with

    SIM_UPDATE_BASELINE=1 .venv/bin/pytest tests/test_regression.py

and say why in the commit message. Counts must match exactly; money is compared to a relative
1e-9, because summing float64 arrays may round differently on another CPU's vector unit.
"""

import json
import math
import os
from pathlib import Path

import pytest

from sim import simulate

from .helpers import BASELINE, CONQUEST_VS_RELATIONS, small

BASELINE_FILE = Path(__file__).parent / "regression" / "baseline.json"
CASES = {
    "baseline": (BASELINE, 1),
    "conquest_vs_relations": (CONQUEST_VS_RELATIONS, 7),
}


def current() -> dict:
    out = {}
    for name, (path, seed) in CASES.items():
        result = simulate(small(path, run__weeks=104), seed=seed)
        weekly = result.timeseries.pivot(index="week", columns="firm", values="customers")
        out[name] = {"summary": result.summary, "weekly_customers": weekly.to_dict(orient="list")}
    return json.loads(json.dumps(out))


def compare(expected, actual, where="") -> list[str]:
    if isinstance(expected, dict):
        # A new metric adds keys; every number already in the baseline must stay as it was.
        problems = (
            [f"{where}: keys missing {sorted(set(expected) - set(actual))}"]
            if set(expected) - set(actual)
            else []
        )
        for key in expected.keys() & actual.keys():
            problems += compare(expected[key], actual[key], f"{where}.{key}")
        return problems
    if isinstance(expected, list):
        if len(expected) != len(actual):
            return [f"{where}: length {len(actual)} != {len(expected)}"]
        return [
            p
            for i, (e, a) in enumerate(zip(expected, actual, strict=True))
            for p in compare(e, a, f"{where}[{i}]")
        ]
    if isinstance(expected, float) and isinstance(actual, float):
        return (
            []
            if math.isclose(expected, actual, rel_tol=1e-9, abs_tol=1e-9)
            else [f"{where}: {actual} != {expected}"]
        )
    return [] if expected == actual else [f"{where}: {actual!r} != {expected!r}"]


def test_results_match_the_regression_baseline():
    actual = current()
    if os.environ.get("SIM_UPDATE_BASELINE"):
        BASELINE_FILE.parent.mkdir(exist_ok=True)
        BASELINE_FILE.write_text(json.dumps(actual, indent=1, sort_keys=True) + "\n")
        pytest.skip(f"baseline rewritten to {BASELINE_FILE}; commit it with the reason")
    assert BASELINE_FILE.exists(), "no regression baseline: run with SIM_UPDATE_BASELINE=1 once"
    problems = compare(json.loads(BASELINE_FILE.read_text()), actual)
    assert not problems, "results moved from the regression baseline:\n" + "\n".join(problems[:30])
