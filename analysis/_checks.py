"""Input checks shared by the analysis modules (private).

Each check raises ``ValueError`` naming the bad value, as the public functions promise.
"""
from __future__ import annotations

import math
import numbers


def check_count(value, name: str) -> int:
    """Return ``value`` as an ``int`` if it is a non-negative whole number, else raise ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, numbers.Real) and float(value).is_integer():
            # typeshed gives numbers.Real no __int__; float, Decimal, Fraction and numpy's floats have it.
            value = int(value)  # type: ignore[call-overload]
        else:
            raise ValueError(f"{name} must be a non-negative whole number, got {value!r}")
    value = int(value)
    if value < 0:
        raise ValueError(f"{name} must be non-negative, got {value}")
    return value


def check_successes(successes, n, successes_name: str = "successes", n_name: str = "n") -> tuple[int, int]:
    """Check a (successes, n) pair: both counts, successes <= n."""
    successes = check_count(successes, successes_name)
    n = check_count(n, n_name)
    if successes > n:
        raise ValueError(f"{successes_name} ({successes}) must not exceed {n_name} ({n})")
    return successes, n


def check_probability_open(value, name: str) -> float:
    """Check 0 < value < 1 (a confidence level, alpha, power or a share that must be interior)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value):
        raise ValueError(f"{name} must be a number strictly between 0 and 1, got {value!r}")
    value = float(value)
    if not 0.0 < value < 1.0:
        raise ValueError(f"{name} must be strictly between 0 and 1, got {value}")
    return value


def check_confidence(confidence) -> float:
    """Check 0 < confidence < 1."""
    return check_probability_open(confidence, "confidence")
