"""Inputs that cannot crash a run: every shipped scenario, mutated thousands of ways, is either
refused cleanly (exit status 2, one line naming the file, no traceback, nothing written) or runs
to the end; and `sim validate` accepts exactly what `sim run` runs.

The mutations (hypothesis, derandomised so every CI run tries the same ones): deleted keys and
tables, wrong types (booleans, text, arrays, tables, dates where numbers belong and the other way
round), non-finite, huge, negative and fractional numbers, unknown keys, wrong nesting (a value
made a table, a table moved into another), text that is not valid TOML, and raw bytes.

Count: 6 shipped scenarios x 400 examples = 2,400 mutants a run of this module; some come out
byte for byte alike (about 1 in 10), so each test checks that at least 334 of its mutants were
distinct files: at least 6 x 334 = 2,004 different inputs in all. Each mutant is validated as it is,
then validated and run at 40 people for 3 weeks (or until its last event); runs of a resolved scenario already
run are not repeated (the same resolved scenario gives the same run). Random mutants seldom hit
a given key with a given bad value, so every number of every shipped file is also set, one at a
time, to inf, -inf, nan, 1e300, -1e300 and true (1,380 validations). The module takes about a
minute on this 2-core machine (47 s and 13 s measured). A few subprocess cases at the end show
the same refusals end to end, with no traceback.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import math
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.cli import main
from sim.scenario import load_scenario

from .helpers import BASELINE, ROOT

SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))
EXAMPLES_PER_SCENARIO = 250  # x 9 scenario files = 2,250 mutants
AT_LEAST_DISTINCT = 223  # x 9 scenario files >= 2,000 distinct mutants


def small_weeks(text: str) -> int:
    """3 weeks, or enough for the last event a file schedules to strike (an event beyond the run
    is refused)."""
    try:
        events = tomllib.loads(text).get("events", [])
    except tomllib.TOMLDecodeError:
        return 3
    weeks = [3]
    for event in events if isinstance(events, list) else []:
        for key in ("week", "window", "between"):
            value = event.get(key) if isinstance(event, dict) else None
            last = value[-1] - 1 if isinstance(value, list) and value else value
            if isinstance(last, int) and not isinstance(last, bool) and 0 < last <= 5200:
                weeks.append(last)
    return max(weeks)


# Values put where they do not belong, or at the edge of what is allowed.
ODD_VALUES: list[Any] = [
    True, False, "", "text", "40", "nan", [], [1, 2], ["a"], {}, {"x": 1}, {"value": 1.0},
    datetime.date(2026, 1, 5), 0, -1, 1, 2, 0.5, -0.5, 127, 128, 5200, 5201, 2**31, 2**63 - 1, -(2**63),
    10**30, 1e-300, 1e12, 1e13, 1e300, -1e300, math.inf, -math.inf, math.nan,
]  # fmt: skip
NUMBERS = st.one_of(
    st.sampled_from([0, -1, 1, 0.5, 1e-9, 1e9, 1e12, 1e13, 1e300, -1e300, math.inf, -math.inf, math.nan]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
)
ANY_VALUE = st.one_of(st.sampled_from(ODD_VALUES), NUMBERS, st.text(max_size=8))
KEY_NAMES = st.one_of(
    st.sampled_from(["colour", "budgte", "size ", "", "firms", "us", "0"]), st.text(max_size=6)
)
TOML_NOISE = st.sampled_from([*"[]{}=\"',.#\n\\ ", "[[", "]]", "= =", '"""', "\x00", "\x7f", "é"])


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key (tables and values) and array index of a parsed TOML document."""
    out = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, value in items:
        out.append((*prefix, key))
        out.extend(_paths(value, (*prefix, key)))
    return out


def _parent(data: Any, path: tuple) -> Any:
    for part in path[:-1]:
        data = data[part]
    return data


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


@st.composite
def mutants(draw: st.DrawFn, text: str) -> tuple[str, bytes]:
    """One mutation of a scenario's text: (what was done, the bytes of the mutated file)."""
    kind = draw(
        st.sampled_from(["delete", "replace", "number", "unknown key", "nest", "move", "toml text", "bytes"])
    )
    if kind == "bytes":
        raw = draw(st.binary(max_size=300))
        if draw(st.booleans()):  # a valid file with a byte that is not UTF-8 somewhere in it
            cut = draw(st.integers(0, len(text)))
            raw = (
                text[:cut].encode()
                + draw(st.sampled_from([b"\xff", b"\xc3", b"\x80\x80", b"\xfe\xff"]))
                + text[cut:].encode()
            )
        return kind, raw
    if kind == "toml text":
        cut = draw(st.integers(0, len(text)))
        span = draw(st.integers(0, 40))
        insert = draw(st.one_of(st.just(""), TOML_NOISE))
        return kind, (text[:cut] + insert + text[cut + span :]).encode()
    data = tomllib.loads(text)
    paths = _paths(data)
    path = draw(st.sampled_from(paths))
    parent, key = _parent(data, path), path[-1]
    if kind == "delete":
        del parent[key]
    elif kind == "replace":
        parent[key] = draw(ANY_VALUE)
    elif kind == "number":
        numeric = [p for p in paths if isinstance(_parent(data, p)[p[-1]], int | float)]
        if numeric:
            path = draw(st.sampled_from(numeric))
            parent, key = _parent(data, path), path[-1]
            value = parent[key]
            parent[key] = draw(
                st.sampled_from([-value, value * 1e6, value * 1e300 if value else 1e300, value + 0.5, -1e-9])
                | NUMBERS
            )
    elif kind == "unknown key":
        tables = [()] + [p for p in paths if isinstance(_parent(data, p)[p[-1]], dict)]
        where = draw(st.sampled_from(tables))
        table = _parent(data, (*where, None))
        table[draw(KEY_NAMES)] = draw(ANY_VALUE)
    elif kind == "nest":  # a value made a table, or a table made an array of itself or a value
        value = parent[key]
        if isinstance(value, dict):
            parent[key] = draw(st.sampled_from([[value], 1, "table"]))
        else:
            parent[key] = {draw(st.sampled_from(["value", "low", "x"])): value}
    elif kind == "move":  # a subtree moved under another table
        tables = [()] + [p for p in paths if isinstance(_parent(data, p)[p[-1]], dict)]
        target = _parent(data, (*draw(st.sampled_from(tables)), None))
        if isinstance(key, str) and target is not parent:
            target[key] = _copy(parent[key])
            del parent[key]
    try:
        return kind, tomli_w.dumps(data).encode()
    except (TypeError, ValueError):  # a shape TOML cannot write (an array mixing tables): as text
        return kind, text.encode()


def _cli(args: list[str]) -> tuple[int, str]:
    """``sim ARGS`` in this process: exit status and what it printed to stderr."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(args)
    return code, err.getvalue()


def _assert_clean(code: int, err: str, file: Path, what: str) -> None:
    assert code in (0, 2), f"{what}: expected exit status 0 or 2, got {code}: {err}"
    if code == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1, f"{what}: expected one line, got {len(lines)}:\n{err}"
        assert lines[0].startswith("error: ") and str(file) in lines[0], (
            f"{what}: expected 'error: ' and the file name {file}, got: {lines[0]}"
        )
        assert "Traceback" not in err, f"{what}: expected no traceback, got:\n{err}"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory):
    """A current folder of its own, to show that no default results/ folder appears in it."""
    folder = tmp_path_factory.mktemp("cwd")
    with contextlib.chdir(folder):
        yield folder


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_a_mutated_scenario_is_refused_cleanly_or_runs(path: Path, workdir: Path) -> None:
    text = path.read_text()
    seen: set[bytes] = set()
    ran: set[str] = set()  # resolved scenarios that ran to the end
    weeks = small_weeks(text)
    small = ["--set", "market.size=40", "--set", f"run.weeks={weeks}"]
    small_overrides = {"market.size": 40, "run.weeks": weeks}

    @settings(
        max_examples=EXAMPLES_PER_SCENARIO,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(mutants(text))
    def check(mutant: tuple[str, bytes]) -> None:
        kind, content = mutant
        seen.add(content)
        with tempfile.TemporaryDirectory() as folder:
            file = Path(folder) / path.name
            file.write_bytes(content)
            out = Path(folder) / "out"
            code, err = _cli(["validate", str(file)])
            _assert_clean(code, err, file, f"{kind}: sim validate")
            valid, err = _cli(["validate", str(file), *small])
            _assert_clean(valid, err, file, f"{kind}: sim validate (small)")
            if valid == 0:
                resolved = load_scenario(file, small_overrides).without_experiments().to_toml()
                if resolved in ran:
                    return  # this resolved scenario already ran to the end
            code, err = _cli(["run", str(file), *small, "--out", str(out), "--no-figures", "--quiet"])
            _assert_clean(code, err, file, f"{kind}: sim run")
            assert code == valid, (
                f"{kind}: expected `sim run` to do what `sim validate` said ({valid}), got {code}: {err}"
            )
            if code == 2:
                assert not out.exists(), f"{kind}: expected nothing written for a refused scenario"
            else:
                assert (out / "summary.json").stat().st_size > 0, f"{kind}: expected summary.json"
                ran.add(resolved)
        assert not (workdir / "results").exists(), f"{kind}: expected nothing written to ./results"

    check()
    assert len(seen) >= AT_LEAST_DISTINCT, (
        f"expected at least {AT_LEAST_DISTINCT} distinct mutants, got {len(seen)}"
    )
    assert ran, f"expected some mutants of {path.name} to run to the end"


def _numeric_leaves(node: Any, prefix: tuple = ()) -> list[tuple]:
    return [
        path
        for path in _paths(node, prefix)
        if isinstance(_parent(node, path)[path[-1]], int | float)
        and not isinstance(_parent(node, path)[path[-1]], bool)
    ]


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_number_of_a_shipped_scenario_refuses_non_finite_huge_and_boolean_values(path, tmp_path):
    # Exhaustive where the random mutants are sparse: each of the 230 numbers of the six files
    # (139 in hotel.toml) set to each value that no key accepts, validated in this process.
    text = path.read_text()
    leaves = _numeric_leaves(tomllib.loads(text))
    assert leaves, f"expected numbers in {path.name}"
    file = tmp_path / path.name
    for leaf in leaves:
        for bad in (math.inf, -math.inf, math.nan, 1e300, -1e300, True):
            data = tomllib.loads(text)
            _parent(data, leaf)[leaf[-1]] = bad
            file.write_text(tomli_w.dumps(data))
            code, err = _cli(["validate", str(file)])
            where = ".".join(str(p) for p in leaf)
            assert code == 2, f"expected {where} = {bad!r} refused, got exit status {code}"
            _assert_clean(code, err, file, f"{where} = {bad!r}")


# --------------------------------------------------------------------------- end to end


def _subprocess(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sim.cli", *args], capture_output=True, text=True, check=False, cwd=cwd
    )


@pytest.mark.parametrize(
    ("content", "settings", "expected"),
    [
        (None, ["firms.us.budget=inf"], "firms.us.budget = inf: must be a finite number"),
        (None, ["firms.us.price=1e999"], "firms.us.price = inf: must be a finite number"),
        (None, ["firms.us.price=true"], "firms.us.price = True: expected a number, got a boolean (true)"),
        (None, ['run.name="../escaped"'], "run.name = '../escaped': must be a plain folder name"),
        (b"\xff\xfe[run]\n", [], "not UTF-8 text"),
        (b"", [], "the scenario file is empty"),
        (b"[run\nweeks = 3", [], "not valid TOML"),
    ],
)
def test_refusals_end_to_end_have_no_traceback(tmp_path, content, settings, expected):
    file = BASELINE
    if content is not None:
        file = tmp_path / "bad.toml"
        file.write_bytes(content)
    sets = [part for s in settings for part in ("--set", s)]
    done = _subprocess("run", str(file), *sets, "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert done.returncode == 2, f"expected exit status 2, got {done.returncode}: {done.stderr}"
    assert expected in done.stderr and str(file) in done.stderr, (
        f"expected {expected!r} and the file in:\n{done.stderr}"
    )
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "results").exists(), "expected nothing written"
    assert not (tmp_path.parent / "escaped").exists(), "expected nothing written outside the folder"


def test_a_folder_given_as_the_scenario_is_refused_end_to_end(tmp_path):
    done = _subprocess("validate", str(tmp_path), cwd=tmp_path)
    assert done.returncode == 2 and "is a folder, not a scenario file" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
