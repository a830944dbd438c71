"""The statistics configuration every result reads: the minimum responses a figure needs, the false
discovery rate a change must keep, the segment attributes results break down by, and trend detection's
period and window (HEARKEN_TREND_MIN_N, HEARKEN_TREND_FDR, HEARKEN_SEGMENT_ATTRIBUTES, HEARKEN_TREND_PERIOD,
TREND_WINDOW).

One object for the results page, its exports and API, the scorecard, trend detection and its alerts, the
rollups and the change log, so none of them can read a setting differently from the others (the results
page and trend detection each had their own, and their defaults had to be kept equal by hand). It lives
in results because alerts are built on results, not the other way round.
"""
from __future__ import annotations

from dataclasses import dataclass

from survey.config import DEFAULTS


@dataclass(frozen=True)
class Settings:
    # Fewer responses than this in a period or segment: "not enough responses", no interval, no test.
    min_n: int = DEFAULTS["TREND_MIN_N"]
    # A change is significant when its Benjamini–Hochberg q-value is at most this.
    fdr: float = DEFAULTS["TREND_FDR"]
    segment_names: tuple[str, ...] = ()
    # Trend detection's period and how many of them it looks back over; the results page takes its period
    # from its filter instead.
    unit: str = DEFAULTS["TREND_PERIOD"]
    window: int = DEFAULTS["TREND_WINDOW"]

    @classmethod
    def from_config(cls, config) -> Settings:
        return cls(min_n=config["TREND_MIN_N"], fdr=config["TREND_FDR"],
                   segment_names=tuple(config["SEGMENT_ATTRIBUTES"]), unit=config["TREND_PERIOD"],
                   window=config["TREND_WINDOW"])
