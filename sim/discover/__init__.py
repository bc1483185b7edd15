"""Scenario discovery (``sim discover``): where in the sampled markets a strategy wins or fails.

Example:
    >>> callable(find_conditions)
    True
"""

from sim.discover.conditions import find_conditions

__all__ = ["find_conditions"]
