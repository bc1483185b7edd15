"""Serving the dashboard: the Solara server on a local address, with nothing fetched from outside.

Owns how ``sim dashboard`` runs the page of :mod:`sim.dashboard.app`: which address it listens on
(127.0.0.1 unless the user asks for another), and the Solara settings that keep it offline. The
page's JavaScript and CSS come from the Python packages (``solara-assets`` puts Solara's
front-end files where Solara's asset proxy looks first); Solara's fallback, fetching a missing file
from a CDN, is pointed at a closed local port, so a missing file shows as an error instead of a
download; and Solara's usage telemetry is off.

Example:
    >>> dashboard_url("127.0.0.1", 8521)
    'http://127.0.0.1:8521/'
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
from pathlib import Path
from typing import Any

SCENARIO_ENV = "SIM_DASHBOARD_SCENARIO"  # path of the scenario file; empty: the built-in defaults
OVERRIDES_ENV = "SIM_DASHBOARD_SET"  # JSON object of dotted-key overrides (`--set`)
EMULATOR_ENV = "SIM_DASHBOARD_EMULATOR"  # folder of an emulator (`--emulator`); empty: none
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8521  # Mesa's customary visualisation port
# Where Solara would fetch a front-end file it does not find locally: port 9 ("discard") on this
# machine, closed on any ordinary machine, so the fetch fails at once instead of going online.
NO_CDN = "http://127.0.0.1:9/no-cdn/"
OFFLINE_SETTINGS = {
    "SOLARA_ASSETS_CDN": NO_CDN,
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "false",
}
REQUIRED_MODULES = ("solara", "solara_assets", "mesa.visualization", "uvicorn")


class DashboardUnavailable(RuntimeError):
    """The packages the dashboard needs are not installed; the message says how to install them."""


def dashboard_url(host: str, port: int) -> str:
    """The address to open in a browser."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def check_installed() -> None:
    """Raise :class:`DashboardUnavailable` naming any missing package."""
    missing = []
    for name in REQUIRED_MODULES:
        try:
            found = importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:  # a parent package is missing
            found = False
        if not found:
            missing.append(name.split(".")[0].replace("_", "-"))
    if missing:
        raise DashboardUnavailable(
            f"the dashboard needs {', '.join(missing)}; install them with "
            "`.venv/bin/pip install -e '.[dashboard]'` (make test installs them too)"
        )


def free_port(host: str = DEFAULT_HOST) -> int:
    """A port nobody listens on right now (the system picks it)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def serve(
    scenario_path: str | os.PathLike[str] | None,
    overrides: dict[str, Any] | None = None,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    emulator: str | os.PathLike[str] | None = None,
) -> None:
    """Serve the dashboard for a scenario until interrupted (Ctrl-C).

    Args:
        scenario_path: the scenario file, or None for the built-in defaults.
        overrides: dotted-key overrides applied to it (``--set``).
        host: the address to listen on; 127.0.0.1 (this machine only) unless asked otherwise.
        port: the port; 0 picks a free one.
        emulator: the folder of an emulator (``sim emulate``) that answers what-ifs at once.
    """
    check_installed()
    # Before anything imports Solara: it reads its settings from the environment on import.
    os.environ[SCENARIO_ENV] = str(Path(scenario_path).resolve()) if scenario_path else ""
    os.environ[OVERRIDES_ENV] = json.dumps(overrides or {})
    os.environ[EMULATOR_ENV] = str(Path(emulator).resolve()) if emulator else ""
    os.environ["SOLARA_APP"] = "sim.dashboard.app"
    for name, value in OFFLINE_SETTINGS.items():
        os.environ.setdefault(name, value)  # a user's own setting wins
    import uvicorn

    port = port or free_port(host)
    print(f"sim dashboard: open {dashboard_url(host, port)} (Ctrl-C stops it)", flush=True)
    uvicorn.run("solara.server.starlette:app", host=host, port=port, log_level="warning")
