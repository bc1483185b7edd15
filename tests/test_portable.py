"""The same scenario and seed give the same numbers on any processor.

NumPy chooses code by the processor's SIMD level at run time (AVX2, AVX-512 with Intel's SVML, or
the baseline): its exp, log and expm1 differ in the last bit between those paths, and its
argpartition and unstable argsort pick different elements among ties. The model keeps both out of
its numbers (sim/kernels.py: exp_each, smallest, largest), and this test holds it there: it runs a
scenario in a process where NumPy is made to use only its baseline code
(``NPY_DISABLE_CPU_FEATURES``), as an older processor would, and compares every number with this
process's run. Before the fix the baseline scenario's rating differed in the fourth decimal
(3.85845 here, 3.85863 without AVX2, 3.85833 on the AVX-512 host that wrote the regression
baseline).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import pytest
from numpy._core import _multiarray_umath as numpy_core

from sim import simulate

from .helpers import ROOT, small

SCRIPT = """
import hashlib, sys
sys.path.insert(0, {root!r})
from tests.helpers import small
from sim import simulate
result = simulate(small({path!r}, run__weeks=60), seed=4)
print(hashlib.sha256(result.timeseries.to_csv().encode() + result.customers.to_csv().encode()).hexdigest())
"""


def _digest(path) -> str:
    result = simulate(small(path, run__weeks=60), seed=4)
    return hashlib.sha256(
        result.timeseries.to_csv().encode() + result.customers.to_csv().encode()
    ).hexdigest()


@pytest.mark.parametrize("name", ["baseline.toml", "conquest_vs_relations.toml", "hotel.toml"])
def test_numbers_do_not_depend_on_the_processors_simd_level(name):
    dispatched = [
        feature
        for feature in getattr(numpy_core, "__cpu_dispatch__", [])
        if numpy_core.__cpu_features__.get(feature)
    ]
    if not dispatched:
        pytest.skip("NumPy runs only its baseline code on this processor: nothing to switch off")
    path = str(ROOT / "scenarios" / name)
    env = {**os.environ, "NPY_DISABLE_CPU_FEATURES": " ".join(dispatched)}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(root=str(ROOT), path=path)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == _digest(path), (
        f"{name}: with NumPy's {', '.join(dispatched)} code switched off the run should give the same "
        "weekly and per-person tables bit for bit"
    )
