"""Adaptive: a strategy that reacts to the market, moving budget to relations when churn rises.

The worked example of a custom policy (MODEL.md section 5): it starts from a conquest-heavy split
and, each week, looks at its own churn over the last ``window`` weeks. When the yearly churn rate
implied by that window exceeds ``churn_trigger``, it spends ``relations_share`` of the budget on
relations; otherwise it spends ``1 - relations_share`` on conquest. Parameters come from
``[firms.<name>.params]``.

Example:
    >>> Adaptive(churn_trigger=0.3).churn_trigger
    0.3
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sim.strategies.base import Strategy, register_strategy
from sim.strategies.builtin import CONQUEST_SPLIT, RELATIONS_SPLIT

if TYPE_CHECKING:
    from sim.agents.firm import Firm
    from sim.model import CustomerMarket


@register_strategy("adaptive")
class Adaptive(Strategy):
    """Conquest while churn is low, relations when it rises.

    Args:
        split: not accepted: the two splits are conquest's and relations' built-in ones.
        churn_trigger: yearly churn rate (share of customers) above which it defends, default 0.25.
        relations_share: share of the budget on relations while defending, default 0.8.
        window: weeks of churn it looks back on, default 8.
    """

    def __init__(
        self,
        split: dict[str, float] | None = None,
        churn_trigger: float = 0.25,
        relations_share: float = 0.8,
        window: int = 8,
    ) -> None:
        if split is not None:
            raise TypeError("the adaptive strategy takes no split; it uses the conquest and relations splits")
        super().__init__()
        if not 0 <= relations_share <= 1:
            raise TypeError(f"relations_share must be in [0, 1], got {relations_share}")
        if window < 1:
            raise TypeError(f"window must be >= 1 week, got {window}")
        self.churn_trigger = float(churn_trigger)
        self.relations_share = float(relations_share)
        self.window = int(window)

    def yearly_churn(self, firm: Firm, market: CustomerMarket) -> float:
        """Churn over the last ``window`` weeks, as a yearly rate of the firm's customers."""
        recorder = market.recorder
        # Weeks recorded so far are 0..week-1; week w's churn is out of the customers at the
        # end of week w-1.
        first = max(1, market.week - self.window)
        churned = recorder.churned[first : market.week, firm.index].sum()
        exposure = recorder.customers[first - 1 : market.week - 1, firm.index].sum()
        return 0.0 if exposure == 0 else 1 - (1 - churned / exposure) ** 52

    def defending(self, firm: Firm, market: CustomerMarket) -> bool:
        return market.week > 1 and self.yearly_churn(firm, market) > self.churn_trigger

    def funded_levers(self) -> set[str]:
        return set(CONQUEST_SPLIT) | set(RELATIONS_SPLIT)

    def allocate(self, firm: Firm, market: CustomerMarket) -> dict[str, float]:
        relations = self.relations_share if self.defending(firm, market) else 1 - self.relations_share
        plan = {k: firm.budget * relations * v for k, v in RELATIONS_SPLIT.items()}
        plan.update({k: firm.budget * (1 - relations) * v for k, v in CONQUEST_SPLIT.items()})
        return plan
