"""Scenario files: TOML in, a validated, frozen :class:`Scenario` out.

Owns the model's parameters: the schema of every table a scenario may hold (``[run]``,
``[market]``, ``[network]``, ``[personas.<name>]``, ``[firms.<name>]``, ``[behaviours.<name>]``,
``[levers.<name>]``), its defaults with units, dotted-key overrides (``firms.us.price=45``), the
limit of what fits this machine's memory and the error messages a user sees for a misspelt key or a
bad value. The experiment tables a scenario file may also hold (``[arms]``, ``[sweep]``,
``[sensitivity]``, ``[optimise]``) are typed and checked by the design vocabulary
(:mod:`sim.design`). The meaning, unit and source of every default is in ``docs/model.md``.

The package's modules, each owning one thing: :mod:`~sim.scenario.people` (personas and trait
distributions), :mod:`~sim.scenario.market` (run, market, network, firms),
:mod:`~sim.scenario.behaviours`, :mod:`~sim.scenario.levers`, :mod:`~sim.scenario.schema` (the
scenario as a whole and its validation), :mod:`~sim.scenario.memory`,
:mod:`~sim.scenario.overrides`, :mod:`~sim.scenario.messages` and :mod:`~sim.scenario.loading`;
the typed values and limits they share are in :mod:`sim.values`. Every public name is here.

Example:
    >>> scenario = load_scenario("scenarios/baseline.toml", overrides={"run.weeks": 10})
    >>> scenario.run.weeks
    10
"""

from sim.design import Bounds, OptimiseConfig, SensitivityConfig, SweepConfig
from sim.design import Range as SweepRange
from sim.scenario.behaviours import (
    AdoptionConfig,
    AppreciationConfig,
    BehavioursConfig,
    BuyingCycleConfig,
    ChurnConfig,
    DormancyConfig,
    ExperienceConfig,
    PartialChurnConfig,
    PurchaseConfig,
    ReferralConfig,
)
from sim.scenario.levers import (
    TIERS,
    AcquisitionDiscount,
    Communications,
    ComplaintHandling,
    InfluencerSeeding,
    LeversConfig,
    LoyaltyRewards,
    PersonalOffers,
    Poaching,
    Reactivation,
    Recognition,
    ReferralProgramme,
    RetentionOffers,
    SearchAds,
    ServiceQuality,
    SocialAds,
    SocialProofMarketing,
)
from sim.scenario.loading import load_scenario, read_toml
from sim.scenario.market import (
    PLAIN_NAME_RULE,
    BarabasiAlbert,
    Complete,
    EdgeList,
    ErdosRenyi,
    FirmConfig,
    MarketConfig,
    NetworkConfig,
    PowerlawCluster,
    RunConfig,
    WattsStrogatz,
    is_plain_name,
)
from sim.scenario.memory import (
    MEMORY_BYTES_PER_DEPARTURE,
    MEMORY_BYTES_PER_PERSON,
    MEMORY_BYTES_PER_TIE,
    MEMORY_FIXED_BYTES,
    available_memory,
    check_memory,
    departures,
    memory_estimate,
    ties,
)
from sim.scenario.overrides import parse_value
from sim.scenario.people import TRAIT_RANGES, Dist, Persona, constant, default_personas
from sim.scenario.schema import Scenario
from sim.values import (
    LAST_START_DATE,
    MAX_BUDGET,
    MAX_CV,
    MAX_DEGREE,
    MAX_FILE_BYTES,
    MAX_NUMBER,
    MAX_PERSONAS,
    MAX_PRICE,
    MAX_SEED,
    MAX_TRAIT,
    MAX_WEEKS,
    MIN_UNIT_COST,
    Date,
    Flag,
    Real,
    ScenarioError,
    Whole,
)

__all__ = [
    "LAST_START_DATE",
    "MAX_BUDGET",
    "MAX_CV",
    "MAX_DEGREE",
    "MAX_FILE_BYTES",
    "MAX_NUMBER",
    "MAX_PERSONAS",
    "MAX_PRICE",
    "MAX_SEED",
    "MAX_TRAIT",
    "MAX_WEEKS",
    "MEMORY_BYTES_PER_DEPARTURE",
    "MEMORY_BYTES_PER_PERSON",
    "MEMORY_BYTES_PER_TIE",
    "MEMORY_FIXED_BYTES",
    "MIN_UNIT_COST",
    "PLAIN_NAME_RULE",
    "TIERS",
    "TRAIT_RANGES",
    "AcquisitionDiscount",
    "AdoptionConfig",
    "AppreciationConfig",
    "BarabasiAlbert",
    "BehavioursConfig",
    "Bounds",
    "BuyingCycleConfig",
    "ChurnConfig",
    "Communications",
    "ComplaintHandling",
    "Complete",
    "Date",
    "Dist",
    "DormancyConfig",
    "EdgeList",
    "ErdosRenyi",
    "ExperienceConfig",
    "FirmConfig",
    "Flag",
    "InfluencerSeeding",
    "LeversConfig",
    "LoyaltyRewards",
    "MarketConfig",
    "NetworkConfig",
    "OptimiseConfig",
    "PartialChurnConfig",
    "Persona",
    "PersonalOffers",
    "Poaching",
    "PowerlawCluster",
    "PurchaseConfig",
    "Reactivation",
    "Real",
    "Recognition",
    "ReferralConfig",
    "ReferralProgramme",
    "RetentionOffers",
    "RunConfig",
    "Scenario",
    "ScenarioError",
    "SearchAds",
    "SensitivityConfig",
    "ServiceQuality",
    "SocialAds",
    "SocialProofMarketing",
    "SweepConfig",
    "SweepRange",
    "WattsStrogatz",
    "Whole",
    "available_memory",
    "check_memory",
    "constant",
    "default_personas",
    "departures",
    "is_plain_name",
    "load_scenario",
    "memory_estimate",
    "parse_value",
    "read_toml",
    "ties",
]
