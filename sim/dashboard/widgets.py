"""The widgets the dashboard's page sets directly, without redrawing the page: a Vega-Lite chart
fed week by week, the headline's words and the network picture.

Owns what runs in the browser for :mod:`sim.dashboard.app`: each is an ipyvuetify template whose
traits the play loop sets at each frame (:class:`LiveChart` takes only the rows the browser lacks
and reports the week it shows). vega, vega-lite and vega-embed come from ``solara-assets`` on this
machine, at the exact versions installed there.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import ipyvuetify
import traitlets

# --------------------------------------------------------------------------- a chart drawn by the browser

LIVE_CHART_TEMPLATE = """
<template>
  <div class="sim-live-chart" :data-kind="kind" :data-shown="shown_week"><div ref="plot"></div></div>
</template>
<script>
module.exports = {
  data() { return { shown_week: -1, kind: "" }; },
  mounted() { this.embed(); },
  watch: { spec() { this.embed(); }, update() { this.apply(); } },
  methods: {
    cdn() {
      return (window.solara && window.solara.cdn) || `${document.baseURI.replace(/\\/$/, "")}/_solara/cdn`;
    },
    loadVega() {
      if (window.__simVega) { return window.__simVega; }
      const cdn = this.cdn();
      const withRequire = window.requirejs ? Promise.resolve() : new Promise((resolve, reject) => {
        const script = document.createElement("script");
        script.src = `${cdn}/requirejs@2.3.6/require.js`;
        script.onload = resolve; script.onerror = reject;
        document.head.appendChild(script);
      });
      window.__simVega = withRequire.then(() => new Promise((resolve, reject) => {
        const versions = VEGA_VERSIONS;
        const at = (name) => `${cdn}/${name}@${versions[name]}/build/${name}.min.js`;
        require.config({ map: { "*": {
          "vega": at("vega"), "vega-lite": at("vega-lite"), "vega-embed": at("vega-embed") } } });
        require(["vega", "vega-lite", "vega-embed"], (vega, vl, embed) => resolve(embed), reject);
      }));
      return window.__simVega;
    },
    async embed() {
      const spec = JSON.parse(JSON.stringify(this.spec));
      const embed = await this.loadVega();
      if (spec.usermeta.token !== this.spec.usermeta.token) { return; }  // a newer spec is on its way
      const result = await embed(this.$refs.plot, spec, { renderer: "svg",
        actions: { export: true, source: false, compiled: false, editor: false } });
      if (this.view) { this.view.finalize(); }
      this.view = result.view;
      this.token = spec.usermeta.token;
      this.last = {};
      for (const [name, rows] of Object.entries(spec.datasets)) {
        this.last[name] = rows.reduce((most, row) => Math.max(most, row.week ?? -1), -1);
      }
      this.shown_week = spec.usermeta.week;
      this.kind = spec.usermeta.kind;
      this.apply();
    },
    apply() {
      const update = this.update;
      if (!this.view || !update || update.token !== this.token) { return; }
      for (const [name, rows] of Object.entries(update.append || {})) {
        const fresh = rows.filter((row) => row.week > this.last[name]);
        if (fresh.length) {
          this.view.insert(name, fresh);
          this.last[name] = fresh[fresh.length - 1].week;
        }
      }
      for (const [name, rows] of Object.entries(update.replace || {})) {
        this.view.data(name, rows);
      }
      this.view.runAsync().then(() => {
        this.shown_week = update.week;
        this.shown = { token: update.token, week: update.week };
      });
    },
  },
};
</script>
"""


def vega_versions() -> dict[str, str]:
    """The versions of vega, vega-lite and vega-embed that ``solara-assets`` installed (Solara's
    asset proxy serves an exact version from this machine; a range would need the online CDN)."""

    folder = Path(sys.prefix) / "share" / "solara" / "cdn"
    found = {}
    for name, wanted in (("vega", "5"), ("vega-lite", "5"), ("vega-embed", "6")):
        versions = sorted(p.name.split("@", 1)[1] for p in folder.glob(f"{name}@{wanted}.*"))
        found[name] = versions[-1] if versions else wanted
    return found


VEGA_VERSIONS = vega_versions()


class LiveChart(ipyvuetify.VuetifyTemplate):
    """A Vega-Lite chart drawn in the browser (vega-embed, served from this machine): ``spec`` is
    drawn once per model, each ``update`` inserts the rows appended after the week the browser
    shows and replaces the small tables; the browser reports the week it shows in ``shown``, so the
    next update carries only the rows it lacks. Its menu saves the chart as SVG or PNG."""

    template = traitlets.Unicode(LIVE_CHART_TEMPLATE.replace("VEGA_VERSIONS", json.dumps(VEGA_VERSIONS))).tag(
        sync=True
    )
    spec = traitlets.Dict().tag(sync=True)
    update = traitlets.Dict().tag(sync=True)
    shown = traitlets.Dict().tag(sync=True)


HEADLINE_TEMPLATE = """
<template>
  <div class="sim-headline">
    <h2 class="sim-week">{{ week }}</h2>
    <div class="sim-market">{{ market }}</div>
    <div v-for="line in lines" class="sim-firm">{{ line }}</div>
  </div>
</template>
"""


class HeadlineView(ipyvuetify.VuetifyTemplate):
    """The headline's words (:func:`headline_texts`), set directly by the play loop at each frame."""

    template = traitlets.Unicode(HEADLINE_TEMPLATE).tag(sync=True)
    week = traitlets.Unicode("").tag(sync=True)
    market = traitlets.Unicode("").tag(sync=True)
    lines = traitlets.List(traitlets.Unicode()).tag(sync=True)


NETWORK_TEMPLATE = """
<template>
  <div class="sim-network-view" :data-week="week">
    <img :src="src" width="600" alt="referral network" />
    <div style="font-size: 0.8em">{{ caption }}</div>
  </div>
</template>
"""


class NetworkView(ipyvuetify.VuetifyTemplate):
    """The network picture (a PNG as a data address), set directly when it is redrawn."""

    template = traitlets.Unicode(NETWORK_TEMPLATE).tag(sync=True)
    src = traitlets.Unicode("").tag(sync=True)
    caption = traitlets.Unicode("").tag(sync=True)
    week = traitlets.Int(0).tag(sync=True)
