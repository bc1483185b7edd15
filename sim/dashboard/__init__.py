"""``sim dashboard``: an interactive what-if page in the browser: a Solara page around a Mesa model.

The package's parts, each in its own module:

- :mod:`sim.dashboard.market`: the page's controls and the Mesa model they build
  (:class:`DashboardModel`: a market from the settings and, side by side, the same market on the
  same seed with one firm on another strategy);
- :mod:`sim.dashboard.charts`: the live charts, as Vega-Lite specifications drawn in the browser
  and fed week by week (and as matplotlib figures), and the network picture;
- :mod:`sim.dashboard.network_picture`: which people of the referral network are drawn, and where
  (laid out once per network);
- :mod:`sim.dashboard.controls`: what the controls say (labels with their group, the changes not
  applied yet, why a control is disabled);
- :mod:`sim.dashboard.widgets`: the browser-side widgets the page sets directly (a Vega-Lite chart
  fed week by week, the headline, the network picture);
- :mod:`sim.dashboard.app`: the Solara page, its controls and its play loop (imports Solara; the
  server loads it);
- :mod:`sim.dashboard.server`: serving it on 127.0.0.1, offline (:func:`serve`).

Only the page module imports Solara, so the model and the charts work where the ``dashboard``
extra is not installed.

Example:
    >>> from sim import load_scenario
    >>> model = DashboardModel(load_scenario("scenarios/baseline.toml", {"market.size": 300}))
    >>> model.step(); model.week
    1
"""

from sim.dashboard.market import DashboardModel, dashboard_params
from sim.dashboard.server import serve

__all__ = ["DashboardModel", "dashboard_params", "serve"]
