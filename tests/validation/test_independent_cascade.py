"""Validation 4: the independent cascade (Kempe, Kleinberg & Tardos 2003) in our engine against its
expected spread computed exactly on small graphs (docs/validation.md, section 4).

Configuration (sim.validation.independent_cascade.ic_scenario): one firm, word of mouth per tie
with ``active_weeks = 1`` as the only reason to choose, nobody leaves; the seeds join at week 0;
1,000 disjoint copies of each graph run in one market per beta (the draws are per person, so the
copies are independent replicates).

Expected: the exact expected spread, enumerated over the 2^m live-edge graphs. Tolerance: 4
standard errors of the mean over the copies, the standard error being the spread's exact standard
deviation (from the same enumeration) over sqrt(1,000); at 4 standard errors a correct engine
fails one of these 18 comparisons with probability about 18 x 6e-5 = 1e-3. The measured errors
(seed 1) are within 2.4 standard errors; the table is in docs/validation.md.
"""

from __future__ import annotations

import networkx as nx
import pytest

from sim.validation import STANDARD_ERRORS, cascade_graphs, check_independent_cascade, exact_spread

COPIES = 1000
BETAS = (0.1, 0.3, 0.6)


@pytest.fixture(scope="module", params=BETAS, ids=lambda beta: f"beta{beta}")
def checks(request):
    return check_independent_cascade(cascade_graphs(), request.param, COPIES, seed=1)


def test_engine_spread_matches_exact_expectation(checks):
    for check in checks:
        assert check.ok, (
            f"{check.name}, beta {check.beta}: the engine's mean spread over {check.copies} copies "
            f"should be within {STANDARD_ERRORS:g} standard errors ({check.standard_error:.4f}) of the "
            f"exact {check.exact:.4f}, got {check.simulated:.4f} ({check.errors:+.2f} SE)"
        )


@pytest.mark.parametrize("beta", BETAS)
def test_exact_spread_matches_closed_forms(beta):
    # Closed forms: a path from one end reaches node j with beta^j; a star's centre reaches each
    # of its 8 leaves with beta; a leaf reaches the centre with beta, and through it the 7 others.
    cases = {
        "path of 8 from an end": (
            exact_spread(nx.path_graph(8), [0], beta).mean,
            sum(beta**j for j in range(8)),
        ),
        "star from the centre": (exact_spread(nx.star_graph(8), [0], beta).mean, 1 + 8 * beta),
        "star from a leaf": (exact_spread(nx.star_graph(8), [1], beta).mean, 1 + beta + 7 * beta**2),
    }
    for name, (enumerated, closed) in cases.items():
        assert enumerated == pytest.approx(closed, rel=1e-12), (
            f"{name}, beta {beta}: enumeration over live-edge graphs should give {closed:.12f}, "
            f"got {enumerated:.12f}"
        )


def test_exact_spread_refuses_too_many_ties():
    with pytest.raises(ValueError, match="limited to"):
        exact_spread(nx.complete_graph(8), [0], 0.5)  # 28 ties: 2^28 live-edge graphs
