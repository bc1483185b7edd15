"""Clean death: a command killed with SIGKILL (no clean-up code of its own runs) leaves no process
behind. Its pool workers (and multiprocessing's resource tracker, which lives as long as they do)
exit within 5 s, whether they were simulating or still starting up, and the runs finished before
the kill stay complete in the run cache. Processes are read from /proc (Linux)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from .helpers import CONQUEST_VS_RELATIONS, ROOT

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="reads the process table from /proc (Linux)"
)

GRACE = 5.0  # seconds the processes of a killed command may take to exit (issue 16, item 5)
START = 180.0  # seconds allowed for a command to reach the moment it is killed (2 shared cores)


@dataclass(frozen=True)
class Process:
    pid: int
    started: int  # clock ticks after boot: with the pid, it names one process even if the pid is reused
    command: str


def _stat(pid: int) -> tuple[int, int, str, int] | None:
    """(parent pid, process group, state, start time) of ``pid``, or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()  # the command in (...) may hold spaces
    return int(fields[1]), int(fields[2]), fields[0], int(fields[19])


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")[:160]
    except OSError:
        return "?"


def _processes() -> dict[int, tuple[int, int, str, int]]:
    table = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _stat(int(entry))) is not None:
            table[int(entry)] = stat
    return table


def _descendants(root: int) -> set[Process]:
    """Every process below ``root`` now, plus any in its process group (the command runs in a
    session of its own, so the group holds what it started even after the kill reparents it)."""
    table = _processes()
    children: dict[int, list[int]] = {}
    for pid, (parent, _, _, _) in table.items():
        children.setdefault(parent, []).append(pid)
    found, todo = set(), [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    found |= {pid for pid, (_, group, _, _) in table.items() if group == root and pid != root}
    return {Process(pid, table[pid][3], _command(pid)) for pid in found if pid in table}


def _alive(process: Process) -> bool:
    """Still running: the same process (pid and start time) and not a zombie (a zombie has exited
    and only waits for whoever adopted it to read its status)."""
    stat = _stat(process.pid)
    return stat is not None and stat[3] == process.started and stat[2] != "Z"


def _workers(processes: set[Process]) -> list[Process]:
    return [p for p in processes if "--multiprocessing-fork" in p.command and _alive(p)]


def _threads(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("Threads:")))


def _kill_when(args: list[str], ready, log: Path) -> tuple[set[Process], float]:
    """Start ``sim ARGS`` in a session of its own, SIGKILL it once ``ready(processes)`` holds, and
    wait (at most :data:`GRACE` s) for every process it started to exit. Returns those processes
    and the seconds the last one took."""
    with log.open("w") as stderr:
        command = subprocess.Popen(
            [sys.executable, "-m", "sim.cli", *args],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
        )
    seen: set[Process] = set()
    deadline = time.monotonic() + START
    try:
        while True:
            seen |= _descendants(command.pid)
            if ready(seen):
                break
            if command.poll() is not None:
                pytest.fail(f"expected `sim {args[0]}` still running, it exited {command.returncode}:\n"
                            f"{log.read_text()[-3000:]}")  # fmt: skip
            if time.monotonic() > deadline:
                pytest.fail(
                    f"expected `sim {args[0]}` ready to kill within {START:.0f} s:\n{log.read_text()[-3000:]}"
                )
            time.sleep(0.02)
    finally:
        os.kill(command.pid, signal.SIGKILL)  # no clean-up code of the command runs
        command.wait()
    killed = time.monotonic()
    seen |= _descendants(command.pid)  # anything started between the last look and the kill
    while any(_alive(p) for p in seen) and time.monotonic() - killed < GRACE:
        time.sleep(0.05)
    return seen, time.monotonic() - killed


def _assert_all_gone(seen: set[Process], seconds: float, what: str) -> None:
    left = sorted((p for p in seen if _alive(p)), key=lambda p: p.pid)
    for process in left:  # do not leave them to slow the rest of the suite down; the resource
        if "resource_tracker" not in process.command:  # tracker then exits by itself, cleaning up
            os.kill(process.pid, signal.SIGKILL)
    assert not left, (
        f"expected every process of the killed {what} to exit within {GRACE:.0f} s; "
        f"{len(left)} of {len(seen)} still running:\n" + "\n".join(f"  {p.pid} {p.command}" for p in left)
    )
    workers = [p for p in seen if "--multiprocessing-fork" in p.command]
    assert len(workers) >= 2, (
        f"expected the {what} to have started 2 workers before the kill, saw {len(workers)}"
    )
    print(f"{what}: {len(seen)} processes, all gone {seconds:.2f} s after SIGKILL")


def test_compare_killed_while_simulating_leaves_no_process_and_keeps_its_finished_runs(tmp_path):
    out = tmp_path / "compare"
    args = ["compare", str(CONQUEST_VS_RELATIONS), "--runs", "6", "--jobs", "2", "--set", "run.weeks=156",
            "--out", str(out), "--quiet", "--no-figures"]  # fmt: skip

    def simulating(processes: set[Process]) -> bool:
        # A finished run in the cache: the workers have started up and are computing the next ones.
        return len(_workers(processes)) >= 2 and any(out.glob("runs/*/seed-*/summary.json"))

    seen, seconds = _kill_when(args, simulating, tmp_path / "stderr.txt")
    _assert_all_gone(seen, seconds, "`sim compare`")
    assert any("resource_tracker" in p.command for p in seen), (
        "expected multiprocessing's resource tracker among the processes (it outlived the workers before)"
    )
    finished = sorted(out.glob("runs/*/seed-*"))
    assert 1 <= len(finished) < 12, (
        f"expected the compare killed part-way, {len(finished)} of 12 runs finished"
    )
    for folder in finished:  # written under a temporary name, renamed when complete: all or nothing
        summary = json.loads((folder / "summary.json").read_text())
        assert summary["weeks"] == 156, (
            f"expected a complete summary in {folder}, got weeks={summary.get('weeks')}"
        )
        weeks = pd.read_parquet(folder / "timeseries.parquet")["week"]
        assert weeks.max() == 156, f"expected 156 weeks in {folder}/timeseries.parquet, got {weeks.max()}"


def test_sensitivity_killed_while_its_workers_start_up_leaves_no_process(tmp_path):
    args = ["sensitivity", str(ROOT / "scenarios" / "research.toml"), "--samples", "8", "--jobs", "2",
            "--out", str(tmp_path / "sensitivity"), "--quiet", "--no-figures"]  # fmt: skip

    def starting(processes: set[Process]) -> bool:
        # Each worker runs a second thread from its first import of sim on (the parent watch; the
        # imports after it take seconds), so this is the moment they begin importing.
        workers = _workers(processes)
        return len(workers) >= 2 and all(_threads(p.pid) >= 2 for p in workers)

    seen, seconds = _kill_when(args, starting, tmp_path / "stderr.txt")
    _assert_all_gone(seen, seconds, "`sim sensitivity`")


SLOW_IMPORT = """
import os, sys, time
import sim  # the parent watch starts here
with open({marker!r}, "w") as file:
    file.write(str(os.getpid()))
time.sleep(60)  # a module that takes a minute to import: no pool initializer ever runs
"""

PARENT = """
import importlib, multiprocessing, sys, time
sys.path.insert(0, {folder!r})
worker = multiprocessing.get_context("spawn").Process(target=importlib.import_module, args=("slow_import",))
worker.start()
time.sleep(120)
"""


def test_a_spawned_process_ends_with_its_parent_from_its_first_import_of_sim(tmp_path):
    """The watch starts when a spawned process first imports sim, not when a pool initializer runs
    (seconds later, after NumPy, pandas, SciPy and the kernels are loaded)."""
    marker = tmp_path / "imported"
    (tmp_path / "slow_import.py").write_text(SLOW_IMPORT.format(marker=str(marker)))
    parent = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(PARENT.format(folder=str(tmp_path)))], cwd=ROOT,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + START
    while not marker.exists():
        assert parent.poll() is None, f"expected the parent running, it exited {parent.returncode}"
        assert time.monotonic() < deadline, f"expected the spawned process to import sim within {START:.0f} s"
        time.sleep(0.05)
    worker = int(marker.read_text())
    stat = _stat(worker)
    assert stat is not None and stat[0] == parent.pid, "expected the spawned process to be the parent's child"
    process = Process(worker, stat[3], _command(worker))
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    killed = time.monotonic()
    while _alive(process) and time.monotonic() - killed < GRACE:
        time.sleep(0.02)
    if alive := _alive(process):
        os.kill(worker, signal.SIGKILL)
    assert not alive, f"expected the spawned process to exit within {GRACE:.0f} s of its parent's SIGKILL"
    print(f"the spawned process exited {time.monotonic() - killed:.2f} s after its parent")
