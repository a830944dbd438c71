"""Many tests at once (questions × segments × periods): Benjamini-Hochberg q-values.

References
----------
Benjamini Y, Hochberg Y (1995). Controlling the false discovery rate: a practical and powerful
    approach to multiple testing. JRSS B 57:289-300.
R Core Team. ``p.adjust(p, method = "BH")`` (package stats), whose results these match.
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

__all__ = ["benjamini_hochberg"]


def benjamini_hochberg(p_values: Sequence[float]) -> tuple[float, ...]:
    """Benjamini-Hochberg adjusted p-values (q-values), in the order given.

    Rejecting every hypothesis whose q-value is <= q controls the false discovery rate at q.

    Parameters
    ----------
    p_values : Sequence[float]
        p-values in [0, 1]. May be empty.

    Returns
    -------
    tuple[float, ...]
        q_(i) = min over j >= i of min(1, m · p_(j) / j) for the p-values sorted ascending
        (p_(1) <= … <= p_(m)), returned in the original order. Monotone in p, never below p,
        at most 1. Equal to R's ``p.adjust(p, method = "BH")``. ``()`` for no p-values.

    Raises
    ------
    ValueError
        If a p-value is not a number in [0, 1] (NaN included).

    Examples
    --------
    R's ``p.adjust(c(0.01, 0.02, 0.03, 0.04, 0.05), method = "BH")`` is 0.05 five times:

    >>> [round(q, 10) for q in benjamini_hochberg([0.01, 0.02, 0.03, 0.04, 0.05])]
    [0.05, 0.05, 0.05, 0.05, 0.05]
    >>> benjamini_hochberg([0.04, 0.001])
    (0.04, 0.002)
    """
    if isinstance(p_values, (str, bytes)) or not isinstance(p_values, Sequence):
        raise ValueError(f"p_values must be a sequence of numbers, got {p_values!r}")
    checked: list[float] = []
    for index, p in enumerate(p_values):
        if isinstance(p, bool) or not isinstance(p, numbers.Real) or math.isnan(p) or not 0.0 <= p <= 1.0:
            raise ValueError(f"p_values[{index}] must be a number between 0 and 1, got {p!r}")
        checked.append(float(p))
    m = len(checked)
    order = sorted(range(m), key=checked.__getitem__, reverse=True)  # largest p first
    q_values = [0.0] * m
    running_min = 1.0
    for position, index in enumerate(order):
        rank = m - position  # rank of this p-value in ascending order (1-based)
        running_min = min(running_min, m * checked[index] / rank)
        q_values[index] = running_min
    return tuple(q_values)
