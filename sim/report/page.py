"""The report's page: the report workflow, the notebook it executes and the HTML it exports.

Owns :func:`report` (the workflow: gather the runs, return a :class:`ReportResult`) and
:meth:`ReportResult.write`, which executes the parameterised notebook ``sim/report_template.ipynb``
(shipped with the package) with nbclient and exports it with nbconvert to one self-contained page:
figures embedded as PNG, no code, no prompts, nothing fetched from the network when it is opened.
The executed notebook is kept beside the page (``report.ipynb``) for a consultant to open and
adapt. :func:`build_report` does both for a scenario file.

Example:
    >>> remote_references('<script src="https://cdn.example/require.js"></script>')
    ['https://cdn.example/require.js']
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.manifest import Invocation, write_manifest
from sim.report.data import ReportData, gather
from sim.scenario import Scenario, ScenarioError, load_scenario
from sim.workflow import WorkflowResult

if TYPE_CHECKING:
    from matplotlib.figure import Figure


# The notebook behind the page, shipped beside the package's modules.
TEMPLATE = Path(__file__).resolve().parent.parent / "report_template.ipynb"


# --------------------------------------------------------------------------- the notebook and the page


def show(figure: Figure, dpi: int = 100) -> None:
    """Display a figure in a notebook as an embedded PNG and free it (works whatever matplotlib
    backend is active, so the report and the notebooks look the same)."""
    import matplotlib.pyplot as plt
    from IPython.display import Image, display

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    plt.close(figure)
    display(Image(data=buffer.getvalue(), format="png"))


def inject_parameters(notebook: Any, parameters: dict[str, Any]) -> None:
    """Add a cell after the one tagged ``parameters`` that sets ``parameters`` (papermill's
    convention: the injected cell is tagged ``injected-parameters``), replacing an earlier one."""
    import nbformat

    cells = notebook.cells
    cells[:] = [c for c in cells if "injected-parameters" not in c.get("metadata", {}).get("tags", [])]
    index = next(
        (i for i, c in enumerate(cells) if "parameters" in c.get("metadata", {}).get("tags", [])), None
    )
    if index is None:
        raise ValueError("the report notebook has no cell tagged 'parameters'")
    source = "# Parameters of this report (injected by `sim report`)\n" + "\n".join(
        f"{name} = {value!r}" for name, value in parameters.items()
    )
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
    cells.insert(index + 1, cell)


# A page that works offline: nbconvert's templates load require.js and MathJax from CDNs.
_REMOTE = re.compile(
    r"<script\b[^>]*\bsrc\s*=\s*[\"']https?://[^>]*>\s*</script>|<link\b[^>]*\bhref\s*=\s*[\"']https?://[^>]*>",
    re.IGNORECASE,
)
_MATHJAX_CONFIG = re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.DOTALL)
# Inline scripts that would import code from the network (the lab template's mermaid loader).
_REMOTE_SCRIPT = re.compile(
    r"<script\b[^>]*>(?:(?!</script>).)*?\b(?:import|fetch)\(\s*[\"'`]https?://.*?</script>",
    re.DOTALL | re.IGNORECASE,
)


def remote_references(html: str) -> list[str]:
    """Every script, stylesheet, font or image the page would fetch over the network.

    Example:
        >>> remote_references('<img src="https://x.org/a.png"><a href="https://x.org">ok</a>')
        ['https://x.org/a.png']
    """
    found = re.findall(
        r"<(?:script|img|iframe|source|link)\b[^>]*\b(?:src|href)\s*=\s*[\"'](https?://[^\"']+)",
        html,
        re.IGNORECASE,
    )
    found += re.findall(r"@import\s+(?:url\()?[\"']?(https?://[^\"')\s]+)", html, re.IGNORECASE)
    found += re.findall(r"url\(\s*[\"']?(https?://[^\"')\s]+)", html, re.IGNORECASE)
    found += re.findall(r"\b(?:import|fetch)\(\s*[\"'`](https?://[^\"'`]+)", html, re.IGNORECASE)
    return found


def export_html(notebook: Any, title: str) -> str:
    """The executed notebook as one self-contained HTML page: outputs only, no prompts, figures
    embedded, and no reference to anything on the network."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="lab", exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
        embed_images=True,
    )  # fmt: skip
    notebook.metadata["title"] = title
    html, _ = exporter.from_notebook_node(notebook)
    html = _MATHJAX_CONFIG.sub("", html)
    html = _REMOTE.sub("", html)
    html = _REMOTE_SCRIPT.sub("", html)
    left = remote_references(html)
    if left:
        raise RuntimeError(f"the report page still refers to the network: {left[:5]}")
    return html.replace("</head>", f"<style>{_PAGE_STYLE}</style>\n</head>", 1)


# Readable on a laptop and a projector: a centred column, tables that do not wrap numbers.
_PAGE_STYLE = """
body { max-width: 1250px; margin: 0 auto; padding: 1.5em 2em 4em; }
.jp-RenderedHTMLCommon table { font-size: 13px; }
.jp-RenderedHTMLCommon td { white-space: nowrap; }
.jp-RenderedHTMLCommon thead th { white-space: normal; vertical-align: bottom; }
.jp-RenderedHTMLCommon li { margin-bottom: 0.35em; }
.jp-RenderedImage img { max-width: 100%; height: auto; }
"""


# --------------------------------------------------------------------------- the report workflow


@dataclass
class ReportResult(WorkflowResult):
    """What :func:`report` returns: the report's numbers (``data``, a :class:`ReportData` whose
    runs are kept under ``<folder>/runs/``), which print as the comparison and ranking tables,
    draw the report's figures and :meth:`write` the page.

    Attributes:
        data: what the page shows (:func:`gather`).
        folder: where the runs were gathered (their cache, ``<folder>/runs/``, which the report
            notebook reads back).
        runs, seed, cascade_size: as given to :func:`report` (the notebook gathers the same).
        source, overrides: the scenario file and dotted overrides the notebook loads (None: the
            scenario's own file when it reproduces the scenario, else a resolved copy written
            beside the page as ``report.scenario.toml``).
        timeout: seconds the notebook may take to execute.
        invocation: what asked for the report and when, for the manifest.

    Example:
        >>> import tempfile
        >>> from sim import load_scenario
        >>> scenario = load_scenario("scenarios/baseline.toml", {"market.size": 200, "run.weeks": 6})
        >>> result = report(scenario, runs=2, jobs=1, cascade_size=0, out=tempfile.mkdtemp())
        >>> result.data.mode, result.table().splitlines()[0].split()[0]
        ('firms', 'us')
        >>> figures = result.figures()
        >>> sorted(figures)[:3]
        ['acquisitions', 'cac_ltv', 'customers']
        >>> import matplotlib.pyplot as plt
        >>> for figure in figures.values():
        ...     plt.close(figure)
    """

    data: ReportData
    folder: Path
    runs: int
    seed: int | None = None
    cascade_size: int = 300
    source: str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    timeout: int = 1800
    invocation: Invocation | None = None

    def table(self) -> str:
        """The page's comparison table and its ranking, as text."""
        return "\n\n".join([self.data.table().to_string(), self.data.ranking_table().to_string()])

    def figures(self) -> dict[str, Figure]:
        """Every figure of the page, by name (:func:`sim.plots.report_figures`)."""
        from sim.plots import report_figures

        return report_figures(self.data)

    def write(
        self,
        out: str | os.PathLike[str] | None = None,
        figures: bool = True,
        invocation: Invocation | None = None,
    ) -> Path:
        """Execute the report notebook and write ``comparison.json``, ``report.ipynb`` (the
        executed notebook) and ``report.html`` into ``out`` (default: the folder the runs were
        gathered in), each atomically, and ``manifest.json`` last (``invocation``, e.g. the
        command line, replaces the result's own). Returns the folder. The page always embeds its
        figures (``figures`` is for the shape every workflow shares and changes nothing here).

        The notebook reads the runs back from ``<folder>/runs/`` in seconds.
        """
        import nbformat
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError

        from sim.files import atomic_write, write_json

        folder = Path(out) if out is not None else self.folder
        folder.mkdir(parents=True, exist_ok=True)
        scenario = self.data.scenario
        write_json(folder / "comparison.json", self.data.comparison)
        scenario_file, overrides = self.notebook_scenario(folder)
        notebook = nbformat.read(TEMPLATE, as_version=4)
        inject_parameters(
            notebook,
            {
                "SCENARIO": scenario_file,
                "OVERRIDES": overrides,
                "RUNS": self.runs,
                "SEED": self.seed,
                "OUT": str(self.folder.resolve()),
                "CASCADE_SIZE": self.cascade_size,
            },
        )
        client = NotebookClient(
            notebook,
            timeout=self.timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(folder.resolve())}},
            # The kernel's own warnings (e.g. that it listens on localhost TCP) are not the reader's concern.
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
        )
        try:
            client.execute()
        except CellExecutionError as error:
            atomic_write(folder / "report.failed.ipynb", lambda p: nbformat.write(notebook, str(p)))
            raise RuntimeError(
                f"the report notebook failed; the partly executed notebook is in {folder / 'report.failed.ipynb'}:\n{error}"
            ) from None
        atomic_write(folder / "report.ipynb", lambda p: nbformat.write(notebook, str(p)))
        html = export_html(notebook, f"Customer strategy report: {scenario.name}")
        atomic_write(folder / "report.html", lambda p: p.write_text(html, encoding="utf-8"))
        (folder / "report.failed.ipynb").unlink(missing_ok=True)
        write_manifest(folder, scenario, self.data.seeds, invocation or self.invocation)
        return folder

    def notebook_scenario(self, folder: Path) -> tuple[str, dict[str, Any]]:
        """The scenario file (absolute) and overrides the notebook loads to get this scenario:
        ``source`` and ``overrides`` if given; else the scenario's own file if it reproduces the
        scenario; else a resolved copy written into ``folder`` as ``report.scenario.toml``."""
        from sim.files import atomic_write

        if self.source is not None:
            return str(Path(self.source).resolve()), dict(self.overrides)
        scenario = self.data.scenario
        if scenario.source and Path(scenario.source).is_file():
            try:
                reloaded = load_scenario(scenario.source).to_dict()
            except ScenarioError:
                reloaded = None
            if reloaded == scenario.to_dict():
                return str(Path(scenario.source).resolve()), {}
        resolved = folder / "report.scenario.toml"
        atomic_write(resolved, lambda p: p.write_text(scenario.to_toml()))
        return str(resolved.resolve()), {}


def report(
    scenario: Scenario,
    runs: int = 10,
    seed: int | None = None,
    out: str | os.PathLike[str] | None = None,
    jobs: int | None = None,
    progress: bool = False,
    cascade_size: int = 300,
    source: str | os.PathLike[str] | None = None,
    overrides: dict[str, Any] | None = None,
    timeout: int = 1800,
) -> ReportResult:
    """Gather the runs of the client report of ``scenario`` (its arms, or without arms its firms,
    on the same seeds); ``.write()`` executes the report notebook and writes ``report.html``.

    Args:
        scenario: a scenario, with or without ``[arms]``.
        runs: seeds per arm (at least 2, for the confidence intervals).
        seed: first seed (default ``scenario.run.seed``).
        out: the report's folder: the runs are kept (and resumed) under ``<out>/runs/``, where the
            notebook reads them back; default ``results/<scenario name>/report/``.
        jobs, progress: as in :func:`sim.execution.execute`.
        cascade_size: people in the small market whose referral cascade is drawn (0: none).
        source, overrides: the scenario file and the dotted overrides that make ``scenario``, for
            the notebook to load (default: see :class:`ReportResult`).
        timeout: seconds the notebook may take to execute.

    Example:
        >>> import tempfile
        >>> from sim import load_scenario
        >>> scenario = load_scenario("scenarios/conquest_vs_relations.toml", {"market.size": 200, "run.weeks": 6})
        >>> result = report(scenario, runs=2, jobs=1, cascade_size=0, out=tempfile.mkdtemp())
        >>> result.data.comparison["rankings"]["profit"]["order"]
        ['relations', 'conquest']
    """
    invocation = Invocation.api(
        "sim.report", runs=runs, seed=seed, out=out, jobs=jobs, cascade_size=cascade_size, source=source,
        overrides=overrides,
    )  # fmt: skip
    if runs < 2:
        raise ScenarioError(f"--runs {runs}: a report needs at least 2 runs for its confidence intervals")
    folder = Path(out) if out is not None else Path("results") / scenario.name / "report"
    folder.mkdir(parents=True, exist_ok=True)
    data = gather(scenario, runs, seed, out=folder, jobs=jobs, progress=progress, cascade_size=cascade_size)
    return ReportResult(
        data, folder, runs, seed, cascade_size,
        source=None if source is None else os.fspath(source), overrides=dict(overrides or {}),
        timeout=timeout, invocation=invocation,
    )  # fmt: skip


def build_report(
    scenario_file: str | os.PathLike[str],
    runs: int = 10,
    out: str | os.PathLike[str] | None = None,
    jobs: int | None = None,
    overrides: dict[str, Any] | None = None,
    seed: int | None = None,
    progress: bool = False,
    cascade_size: int = 300,
    timeout: int = 1800,
    invocation: Invocation | None = None,
) -> Path:
    """:func:`report` of a scenario file, written: run the experiments, execute the report
    notebook and write ``report.html`` and ``report.ipynb`` (the executed notebook) into ``out``
    (default ``results/<scenario name>/report/``), each atomically, and ``manifest.json`` last
    (``invocation``: what asked for the report, e.g. the command line; default this call).
    Returns the page's path.

    The runs are computed here first (with a progress bar if asked; resumable: finished runs are
    kept under ``<out>/runs/``), so the notebook reads them back from the cache in seconds.

    Example (executing the notebook takes seconds; tests/test_report.py builds pages):
        >>> page = build_report("scenarios/conquest_vs_relations.toml", runs=2, out="/tmp/cvr-report")  # doctest: +SKIP
        >>> page.name  # doctest: +SKIP
        'report.html'
    """
    invocation = invocation or Invocation.api(
        "sim.report.build_report", scenario_file=scenario_file, runs=runs, out=out, jobs=jobs,
        overrides=overrides, seed=seed, cascade_size=cascade_size,
    )  # fmt: skip
    overrides = dict(overrides or {})
    scenario = load_scenario(scenario_file, overrides=overrides)
    result = report(
        scenario, runs=runs, seed=seed, out=out, jobs=jobs, progress=progress, cascade_size=cascade_size,
        source=scenario_file, overrides=overrides, timeout=timeout,
    )  # fmt: skip
    return result.write(invocation=invocation) / "report.html"


def report_facts(html: str) -> dict[str, int]:
    """What a built page holds: embedded PNG figures, error outputs, code cells shown.

    Example:
        >>> report_facts('<img src="data:image/png;base64,AAA"><div class="highlight hl-ipython3">')
        {'figures': 1, 'errors': 0, 'code_inputs': 1}
    """
    return {
        "figures": len(re.findall(r"<img[^>]+src=\"data:image/png;base64,", html)),
        "errors": html.count('data-mime-type="application/vnd.jupyter.stderr"')
        + html.count('jp-OutputArea-output jp-RenderedText" data-mime-type="application/vnd.jupyter.error')
        + len(re.findall(r"Traceback \(most recent call last\)", html)),
        "code_inputs": html.count("hl-ipython3"),
    }
