"""The built-in strategies: conquest, relations, balanced and neglect.

Each is a default split of the weekly budget over levers (seed 000, step 3): conquest buys new
customers (search, social ads, influencer seeding), relations keeps and grows existing ones
(rewards, recognition, personal offers, a referral programme), balanced does half of each, and
neglect spends nothing (the baseline against which the others are judged).

Example:
    >>> Relations().split["loyalty_rewards"]
    0.2
"""

from __future__ import annotations

from typing import ClassVar

from sim.strategies.base import Strategy, register_strategy

CONQUEST_SPLIT = {
    "search_ads": 0.35,
    "social_ads": 0.25,
    "influencer_seeding": 0.15,
    "acquisition_discount": 0.10,
    "social_proof_marketing": 0.05,
    "poaching": 0.10,
}
RELATIONS_SPLIT = {
    "loyalty_rewards": 0.20,
    "recognition": 0.10,
    "personal_offers": 0.15,
    "referral_programme": 0.15,
    "communications": 0.05,
    "service_quality": 0.10,
    "complaint_handling": 0.05,
    "reactivation": 0.10,
    "retention_offers": 0.10,
}


@register_strategy("conquest")
class Conquest(Strategy):
    """Spend the whole budget on winning new customers."""

    default_split: ClassVar[dict[str, float]] = CONQUEST_SPLIT


@register_strategy("relations")
class Relations(Strategy):
    """Spend the whole budget on existing customers and their referrals."""

    default_split: ClassVar[dict[str, float]] = RELATIONS_SPLIT


@register_strategy("balanced")
class Balanced(Strategy):
    """Half the budget on conquest, half on relations, each split as above."""

    default_split: ClassVar[dict[str, float]] = {
        **{k: v / 2 for k, v in CONQUEST_SPLIT.items()},
        **{k: v / 2 for k, v in RELATIONS_SPLIT.items()},
    }


@register_strategy("neglect")
class Neglect(Strategy):
    """Spend nothing: the do-nothing baseline."""

    default_split: ClassVar[dict[str, float]] = {}
