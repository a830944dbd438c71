"""Charts draw for empty, one-point and large series, stay well-formed with hostile labels, say what they
show in words, and are deterministic (the page memoises them by their data)."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from survey.charts import Bar, Marker, SegmentRow, TrendPoint, distribution_chart, segment_chart, trend_chart

HOSTILE = '<script>alert(1)</script>" onload="alert(2) \u202eevil $5 off $\\frac{1}{0}$ 😀 ' + "x" * 500


def months(values, n=100):
    return [TrendPoint(f"2026-{i + 1:02d}" if i < 12 else f"p{i}", v, None if v is None else v - 0.05,
                       None if v is None else v + 0.05, n if v is not None else 0) for i, v in enumerate(values)]


def charts():
    return {
        "empty trend": trend_chart("Top box", []),
        "one point": trend_chart("Top box", months([0.9])),
        "all gaps": trend_chart("Top box", months([None, None, None])),
        "500 points": trend_chart("Top box", months([0.5 + (i % 7) / 20 for i in range(500)])),
        "nps": trend_chart("NPS", [TrendPoint("2026-01", 32.0, 20.0, 44.0, 80)], percent=False, y_range=(-100, 100)),
        "hostile trend": trend_chart(HOSTILE, months([0.9, 0.75]), [Marker("2026-02", "alert_drop", HOSTILE)],
                                     y_label=HOSTILE),
        "empty bars": distribution_chart("Answers", []),
        "zero bars": distribution_chart("Answers", [Bar("a", 0), Bar("b", 0)]),
        "bars": distribution_chart("Answers", [Bar(HOSTILE, 3), Bar("Satisfied", 40), Bar("Top", 57)],
                                   highlight_last=1),
        "many bars": distribution_chart("Answers", [Bar(str(i), i) for i in range(100)]),
        "no segments": segment_chart("By location", [], min_n=30),
        "segments": segment_chart("By location", [SegmentRow("Leeds", 0.75, 0.66, 0.82, 100),
                                                  SegmentRow(HOSTILE, 0.9, 0.85, 0.94, 300),
                                                  SegmentRow("Ely", None, None, None, 12)], min_n=30),
        "many segments": segment_chart("By team", [SegmentRow(f"team {i}", 0.5, 0.4, 0.6, 50) for i in range(80)],
                                       min_n=30),
        "nps segments": segment_chart("NPS", [SegmentRow("Leeds", -20.0, -35.0, -5.0, 60)], min_n=30, percent=False),
    }


@pytest.mark.parametrize("name", list(charts()))
def test_every_chart_draws_well_formed_svg_and_png(name):
    chart = charts()[name]
    svg = chart.svg()
    root = ET.fromstring(svg)  # well-formed XML: data cannot break out of its text node
    elements = list(root.iter())
    assert not [e for e in elements if e.tag.rsplit("}", 1)[-1] in ("script", "foreignObject")]
    assert not [name for e in elements for name in e.attrib if name.lower().startswith("on")]
    assert b"<script" not in svg
    assert chart.png().startswith(b"\x89PNG\r\n\x1a\n")
    assert chart.alt and chart.svg() == svg  # deterministic: the same data draws the same bytes


def test_hostile_text_stays_text():
    svg = charts()["hostile trend"].svg().decode()
    assert "&lt;script&gt;" in svg  # escaped, shortened, and "$…$" not parsed as maths
    assert "x" * 100 not in svg


def test_text_alternatives_say_what_the_chart_shows():
    assert charts()["hostile trend"].alt.startswith(HOSTILE[:10])
    trend = trend_chart("Top box by month", months([0.9, None, 0.75]), [Marker("2026-03", "change", "New rota")])
    assert trend.alt == ("Top box by month: from 90 % in 2026-01 to 75 % in 2026-03 (latest, n = 100). "
                         "1 period had no value. Marked: New rota (2026-03).")
    assert "no period has enough responses" in charts()["all gaps"].alt
    assert charts()["bars"].alt.endswith("Satisfied 40 (40%), Top 57 (57%).")
    segments = charts()["segments"].alt
    assert "Leeds 75 % (n = 100)" in segments and "1 group has fewer than 30 responses" in segments
    assert "And 50 more in the table" in charts()["many segments"].alt


def test_markers_outside_the_series_are_ignored_and_charts_are_hashable():
    chart = trend_chart("t", months([0.9]), [Marker("1999-01", "alert_drop", "old")])
    assert "Marked" not in chart.alt
    assert hash(chart) == hash(trend_chart("t", months([0.9]), [Marker("1999-01", "alert_drop", "old")]))
