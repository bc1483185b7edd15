"""The behaviours' table of a scenario: ``[behaviours.<name>]``, the parameters of each rule.

Owns the schema of the ten behaviours (adoption, referral, purchase, experience, appreciation,
churn, the buying cycle, partial churn, dormancy, growth): each parameter's default, unit (in a short
comment) and allowed range. The rules themselves live in :mod:`sim.agents.behaviours`; the meaning
and source of every default is in docs/model.md.

Example:
    >>> BehavioursConfig().churn.unappreciated_rate
    0.011
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from sim.values import MAX_WEEKS, Flag, Real, Strict, Whole

# How word of mouth and referrals reach a prospect (docs/model.md, "Transmission per tie"):
# "share" (Bass 1969: a rate per person, x the share of friends who are customers) or "per_tie"
# (Kempe, Kleinberg & Tardos 2003: a probability per tie per week, the independent cascade).
Transmission = Literal["share", "per_tie"]


class AdoptionConfig(Strict):
    enabled: Flag = True
    innovation: Real = Field(0.0006, ge=0)  # p: weekly hazard for an aware prospect (Bass)
    word_of_mouth: Real = Field(0.01, ge=0)  # q: weekly hazard per unit neighbour share (Bass)
    bandwagon_jump: Real = Field(0.02, ge=0)  # weekly hazard added once share >= threshold
    penetration_weight: Real = Field(
        0.0, ge=0
    )  # weekly hazard per unit of the firm's customers / market size
    social_proof_weight: Real = Field(0.5, ge=0)  # log-attraction per rating star x sensitivity
    price_weight: Real = Field(1.0, ge=0)  # log-attraction per log price ratio x sensitivity
    awareness_required: Flag = True  # unaware people cannot choose a firm (seed 000)
    forget_rate: Real = Field(0.01, ge=0, le=1)  # weekly chance awareness of a firm fades
    rejoin_lockout_weeks: Whole = Field(
        26, ge=0, le=MAX_WEEKS
    )  # a churner does not rejoin the firm they left
    # Word of mouth per tie (transmission = "per_tie" replaces word_of_mouth x share): each friend
    # who is the firm's customer, and joined it at most active_weeks ago (0: for as long as they
    # are a customer), passes it on with this chance a week. The default, q / the default mean
    # degree (10), gives the share form's hazard to a person all of whose ten friends are customers.
    transmission: Transmission = "share"
    tie_probability: Real = Field(0.001, ge=0, lt=1)  # weekly P(one customer friend convinces)
    active_weeks: Whole = Field(0, ge=0, le=MAX_WEEKS)  # weeks after joining a friend transmits; 0: always


class ReferralConfig(Strict):
    enabled: Flag = True
    satisfaction_threshold: Real = Field(0.6, ge=0, le=1)  # only customers this satisfied refer
    conversion: Real = Field(0.25, ge=0, le=1)  # P(a referred prospect becomes a customer)
    programme_boost: Real = Field(1.0, ge=0)  # referral propensity x (1 + boost) with a programme
    choosiness: Whole = Field(2, ge=1, le=20)  # friends a referrer weighs before referring the best fit
    # Referral per tie (transmission = "per_tie" replaces propensity and choosiness): each
    # satisfied active customer who joined before this week, and at most active_weeks ago (0: no
    # limit), refers each prospect friend with this chance a week, x (1 + programme boost) as a
    # hazard. The default is the persona's mean propensity (0.01) over the default mean degree (10).
    transmission: Transmission = "share"
    tie_probability: Real = Field(0.001, ge=0, lt=1)  # weekly P(one satisfied customer refers a friend)
    active_weeks: Whole = Field(0, ge=0, le=MAX_WEEKS)  # weeks after joining a customer refers; 0: always


class PurchaseConfig(Strict):
    enabled: Flag = True
    offer_uplift: Real = Field(0.5, ge=0)  # purchase-rate uplift the week a personal offer lands
    tier_review_weeks: Whole = Field(
        13, ge=1, le=MAX_WEEKS
    )  # loyalty tiers are reviewed this often (a quarter)


class ExperienceConfig(Strict):
    enabled: Flag = True
    unhandled_bad_review: Real = Field(0.5, ge=0, le=1)  # P(an unhandled complaint ends in a 1-star review)
    failure_drop: Real = Field(0.3, ge=0, le=1)  # satisfaction lost per failed purchase week
    learning_rate: Real = Field(0.2, ge=0, le=1)  # pull toward quality after a good week
    initial_satisfaction: Real = Field(0.7, ge=0, le=1)  # of a new customer
    dissatisfied_below: Real = Field(0.5, ge=0, le=1)  # satisfaction under which one may complain
    review_rate: Real = Field(0.03, ge=0, le=1)  # P(review) after a week with purchases
    extreme_review_boost: Real = Field(3.0, ge=0)  # extra review chance for extreme experiences
    rating_prior_mean: Real = Field(3.5, ge=1, le=5)  # stars a firm with no reviews is shown at
    rating_prior_weight: Real = Field(20.0, ge=0)  # pseudo-reviews behind the prior
    rating_memory_weeks: Real = Field(26.0, gt=0, le=MAX_WEEKS)  # reviews fade with this time constant


class AppreciationConfig(Strict):
    enabled: Flag = True
    initial: Real = Field(0.9, ge=0, le=1)  # a new customer's feeling of being valued
    downgrade_drop: Real = Field(0.1, ge=0, le=1)  # appreciation lost when one's tier falls
    fatigue_contacts: Real = Field(3.0, ge=0)  # recent contacts a person tolerates ("bombardment")
    fatigue_drop: Real = Field(0.05, ge=0, le=1)  # appreciation lost per contact beyond that
    contact_memory_weeks: Real = Field(4.0, gt=0, le=MAX_WEEKS)  # how long a contact counts as recent


class BuyingCycleConfig(Strict):
    """Prospects' buying cycle (seed 004: awareness, research, comparison, purchase). The rates
    give about 6.6% of prospects in market (research or comparison) at a time, and weights that
    average about 1 over the stages, so the cycle reshapes adoption without changing its level."""

    enabled: Flag = True
    research_rate: Real = Field(0.02, ge=0, le=1)  # weekly P(awareness -> research)
    comparison_rate: Real = Field(0.3, ge=0, le=1)  # weekly P(research -> comparison)
    dropout_rate: Real = Field(0.15, ge=0, le=1)  # weekly P(research -> awareness)
    comparison_dropout_rate: Real = Field(0.5, ge=0, le=1)  # weekly P(comparison -> awareness)
    awareness_weight: Real = Field(0.85, ge=0)  # adoption hazard multiplier in awareness
    research_weight: Real = Field(2.0, ge=0)  # adoption hazard multiplier in research
    comparison_weight: Real = Field(4.0, ge=0)  # adoption hazard multiplier in comparison
    positive: Real = Field(0.3, ge=0, le=1)  # P(positive interest) to a campaign contact: one stage on
    negative: Real = Field(0.1, ge=0, le=1)  # P(negative): that firm contacts them no more
    later: Real = Field(0.15, ge=0, le=1)  # P("contact me later")
    recontact_weeks: Whole = Field(8, ge=1, le=MAX_WEEKS)  # when "later" may be contacted again

    @model_validator(mode="after")
    def _responses_are_a_distribution(self) -> BuyingCycleConfig:
        if self.comparison_rate + self.dropout_rate > 1 + 1e-9:
            raise ValueError(
                f"comparison_rate + dropout_rate must be at most 1 (both leave research), got "
                f"{self.comparison_rate + self.dropout_rate:.4g}"
            )
        total = self.positive + self.negative + self.later
        if total > 1 + 1e-9:
            raise ValueError(
                f"positive + negative + later must be at most 1 (the rest: no response), got {total:.4g}"
            )
        return self


class PartialChurnConfig(Strict):
    enabled: Flag = True
    product_intensity: Real = Field(0.25, ge=0)  # product-churn hazard / account-churn hazard
    spend_intensity: Real = Field(0.25, ge=0)  # decreased-spend hazard / account-churn hazard
    spend_drop: Real = Field(0.2, ge=0, le=1)  # share of spend level lost per decrease
    min_spend_level: Real = Field(0.2, ge=0, le=1)  # spend level never falls below this


class DormancyConfig(Strict):
    enabled: Flag = True
    weeks: Whole = Field(13, ge=1, le=MAX_WEEKS)  # weeks without a purchase after which a customer is dormant
    receptive: Real = Field(0.35, ge=0, le=1)  # P(a contacted dormant customer comes back)
    later: Real = Field(0.15, ge=0, le=1)  # P("contact me later")
    negative: Real = Field(0.2, ge=0, le=1)  # P(a negative response: never contact again)
    recontact_weeks: Whole = Field(4, ge=1, le=MAX_WEEKS)  # when "later" asked to be contacted again
    self_return: Real = Field(0.25, ge=0)  # a dormant customer's weekly return hazard / purchase rate

    @model_validator(mode="after")
    def _responses_are_a_distribution(self) -> DormancyConfig:
        total = self.receptive + self.later + self.negative
        if total > 1 + 1e-9:
            raise ValueError(
                f"receptive + later + negative must be at most 1 (the rest: no response), got {total:.4g}"
            )
        return self


class ChurnConfig(Strict):
    """Churn hazards. The rates are calibrated so that with no firm spending (both on neglect,
    default market, five years) the reasons come out near seed 004's mix (died 1%, moved 3%,
    followed a friend 5%, better value 9%, dissatisfied 14%, unappreciated 68%): measured
    1.1/3.2/5.0/8.0/15.6/67.0% on seed 1, every reason within 3 points on seeds 1-5 (`sim facts`)."""

    enabled: Flag = True
    died: Flag = True  # demographic exits (persona death_rate)
    moved: Flag = True  # demographic exits (persona move_rate)
    follow_friend_rate: Real = Field(0.05, ge=0)  # weekly hazard per unit share of friends who left
    follow_window_weeks: Whole = Field(8, ge=1, le=MAX_WEEKS)  # how long a friend's switch stays "recent"
    better_value_rate: Real = Field(0.01, ge=0)  # weekly hazard per unit value gap
    value_noise: Real = Field(0.3, ge=0)  # sd of a week's perceived value of each firm (log units)
    dissatisfied_tell_friends: Flag = True  # a dissatisfied leaver counts for friends' follow hazard
    belonging: Real = Field(
        0.5, ge=0, le=1
    )  # cut in unappreciated/better-value hazards at 100% friends in the firm
    referrer_tie: Real = Field(
        0.3, ge=0, le=1
    )  # further cut for a referred customer while their referrer buys from the same firm
    dissatisfied_rate: Real = Field(0.14, ge=0)  # weekly hazard at zero satisfaction
    satisfaction_tolerance: Real = Field(0.5, ge=0, le=1)  # hazard starts below this
    unappreciated_rate: Real = Field(0.011, ge=0)  # weekly hazard at zero appreciation
    appreciation_tolerance: Real = Field(0.5, ge=0, le=1)  # hazard starts below this


class GrowthConfig(Strict):
    """Cross-sell, up-sell and buyer's remorse (step 7b, :mod:`sim.agents.behaviours.growth`).
    Offers come only from the ``cross_sell`` and ``up_sell`` levers, so a market where no firm
    funds them is unchanged; buyer's remorse is off unless ``remorse = true``."""

    enabled: Flag = True
    satisfaction_weight: Real = Field(4.0, ge=0)  # log-odds of accepting an offer per unit satisfaction
    appreciation_weight: Real = Field(2.0, ge=0)  # log-odds of accepting an offer per unit appreciation
    reference_satisfaction: Real = Field(0.7, ge=0, le=1)  # where acceptance = the lever's strength
    reference_appreciation: Real = Field(0.5, ge=0, le=1)  # where acceptance = the lever's strength
    ladder: Real = Field(0.7, gt=0, le=1)  # odds x this per product held beyond the first (hierarchy)
    max_products: Whole = Field(5, ge=1, le=100)  # cross-sell stops at this many products held
    upsell_step: Real = Field(0.2, ge=0, le=5)  # spend level x (1 + step) per accepted up-sell
    max_spend_level: Real = Field(2.0, ge=1, le=100)  # up-sell stops at this spend level
    remorse: Flag = False  # buyer's remorse on (a hazard in a new customer's first weeks)
    remorse_rate: Real = Field(0.02, ge=0)  # weekly remorse hazard in the first remorse_weeks
    remorse_weeks: Whole = Field(4, ge=1, le=MAX_WEEKS)  # weeks after joining that remorse lasts


class BehavioursConfig(Strict):
    adoption: AdoptionConfig = AdoptionConfig()
    referral: ReferralConfig = ReferralConfig()
    purchase: PurchaseConfig = PurchaseConfig()
    experience: ExperienceConfig = ExperienceConfig()
    appreciation: AppreciationConfig = AppreciationConfig()
    churn: ChurnConfig = ChurnConfig()
    buying_cycle: BuyingCycleConfig = BuyingCycleConfig()
    partial_churn: PartialChurnConfig = PartialChurnConfig()
    dormancy: DormancyConfig = DormancyConfig()
    growth: GrowthConfig = GrowthConfig()
