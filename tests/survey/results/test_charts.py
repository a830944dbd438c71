"""Charts draw for empty, one-point, large and all-gap data, stay well-formed XML whatever the labels say,
say what they show in words, and draw identical bytes for identical data (the page memoises them), without
a plotting library."""
from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from survey.results.canvas import text_width
from survey.results.charts import (
    Bar,
    Marker,
    SegmentRow,
    TrendPoint,
    distribution_chart,
    segment_chart,
    trend_chart,
)

HOSTILE = ('<script>alert(1)</script>" onload="alert(2) \u202eevil $5 off $\\frac{1}{0}$ 😀 '
           "nul\x00 bell\x07 \ufffe \ud800 " + "x" * 500)


def months(values, n=100):
    return [TrendPoint(f"2026-{i + 1:02d}" if i < 12 else f"p{i}", v, None if v is None else v - 0.05,
                       None if v is None else v + 0.05, n if v is not None else 0) for i, v in enumerate(values)]


def rows(count, hidden_every=0):
    return [SegmentRow(f"team {i}", None, None, None, 5) if hidden_every and i % hidden_every == 0
            else SegmentRow(f"team {i}", 0.5 + i % 9 / 20, 0.4 + i % 9 / 20, 0.6 + i % 9 / 20, 50 + i)
            for i in range(count)]


def charts():
    return {
        "empty trend": trend_chart("Top box", []),
        "one point": trend_chart("Top box", months([0.9])),
        "all gaps": trend_chart("Top box", months([None, None, None])),
        "500 points": trend_chart("Top box", months([0.5 + (i % 7) / 20 if i % 40 else None for i in range(500)]),
                                  [Marker("p250", "change", "New rota")]),
        "nps": trend_chart("NPS", [TrendPoint("2026-01", 32.0, 20.0, 44.0, 80)], percent=False, y_range=(-100, 100)),
        "nps gaps": trend_chart("NPS", months([None, None]), percent=False),
        "hostile trend": trend_chart(HOSTILE, [TrendPoint(HOSTILE, 0.9, 0.8, 1.0, 50)] + months([0.75]),
                                     [Marker(HOSTILE, "alert_drop", HOSTILE), Marker("2026-01", HOSTILE, HOSTILE)],
                                     y_label=HOSTILE),
        "empty bars": distribution_chart("Answers", []),
        "one bar": distribution_chart("Answers", [Bar("Yes", 1)]),
        "zero bars": distribution_chart("Answers", [Bar("a", 0), Bar("b", 0)]),
        "bars": distribution_chart("Answers", [Bar(HOSTILE, 3), Bar("Satisfied", 40), Bar("Top", 57)],
                                   highlight_last=1),
        "500 bars": distribution_chart("Answers", [Bar(f"option {i}", i) for i in range(500)]),
        "no segments": segment_chart("By location", [], min_n=30),
        "one segment": segment_chart("By location", rows(1), min_n=30),
        "all hidden segments": segment_chart("By location", rows(4, hidden_every=1), min_n=30),
        "segments": segment_chart("By location", [SegmentRow("Leeds", 0.75, 0.66, 0.82, 100),
                                                  SegmentRow(HOSTILE, 0.9, 0.85, 0.94, 300),
                                                  SegmentRow("Ely", None, None, None, 12)], min_n=30),
        "500 segments": segment_chart("By team", rows(500, hidden_every=7), min_n=30),
        "nps segments": segment_chart("NPS", [SegmentRow("Leeds", -20.0, -35.0, -5.0, 60)], min_n=30, percent=False),
    }


def texts(svg: bytes) -> list[str]:
    """The text the SVG shows (fonts are not turned into paths, so text stays text)."""
    return ["".join(e.itertext()) for e in ET.fromstring(svg).iter() if e.tag.endswith("}text")]


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
    assert chart.alt


@pytest.mark.parametrize("name", list(charts()))
def test_a_labelled_chart_is_an_image_named_by_its_text_alternative(name):
    """The results page puts each chart's SVG in the page: it must be an image with the chart's words as its
    name, 640 pixels wide, keeping the drawing's proportions."""
    chart = charts()[name]
    root = ET.fromstring(chart.svg(labelled=True))
    assert root.get("role") == "img" and root.get("aria-label") == chart.alt
    width, height = float(root.get("width")), float(root.get("height"))
    _, _, box_width, box_height = map(float, root.get("viewBox").split())
    assert width == 640 and height == pytest.approx(640 * box_height / box_width, abs=0.01)
    assert ET.fromstring(chart.svg()).get("role") is None


def test_drawing_needs_no_plotting_library():
    """Drawing was matplotlib's (0.8 s to import, 30–130 ms a chart): a new process drawing every kind of
    chart, as SVG and as PNG, must not load it."""
    code = ("import sys; sys.path.insert(0, 'tests/survey/results'); from test_charts import charts\n"
            "for chart in charts().values(): chart.svg(); chart.png()\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('matplotlib', 'numpy', 'scipy')))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=Path(__file__).resolve().parents[3]).stdout
    assert loaded.strip() == "[]"


def test_labels_are_measured_with_the_fonts_advances():
    """Margins come from DejaVu Sans's advance widths (what matplotlib measured: 31.77 and 141.03 points)."""
    assert text_width("100 %", 10) == pytest.approx(31.76)
    assert text_width("Extremely satisfied (n = 1,234)", 9) == pytest.approx(141.2, abs=0.5)
    assert text_width("", 10) == 0
    assert text_width("東京", 10) == 20  # wide characters: an em each
    assert text_width("e\u0301", 10) == text_width("e", 10)  # a combining accent takes no room


def test_identical_data_draws_identical_bytes():
    first, second = charts(), charts()
    for name in ("500 points", "bars", "segments"):
        assert first[name] == second[name] and hash(first[name]) == hash(second[name])
        assert first[name].svg() == second[name].svg()
        assert first[name].png() == second[name].png()
    assert b"<dc:date>" not in first["bars"].svg()


def test_hostile_text_stays_text():
    svg = charts()["hostile trend"].svg()
    shown = " ".join(texts(svg))
    assert "<script>alert(1)</script>" in shown and b"&lt;script&gt;" in svg  # escaped, not markup
    assert "$5 off $\\frac{" in shown  # literal, not parsed as maths
    assert "x" * 100 not in shown  # shortened
    assert not re.search("[\x00-\x08\u202e\ufffe\ud800]", svg.decode("utf-8"))
    assert not re.search("[\x00-\x08\u202e\ud800]", charts()["hostile trend"].alt)


def test_trends_mark_events_with_a_legend_and_name_the_latest_period():
    trend = trend_chart("Top box by month", months([0.9, None, 0.8, 0.75]),
                        [Marker("2026-03", "change", "New rota"), Marker("2026-04", "alert_drop", "Drop"),
                         Marker("2026-04", "alert_rise", "Rise"), Marker("1999-01", "alert_drop", "old")])
    shown = texts(trend.svg())
    assert {"published change", "drop alert", "rise alert"} <= set(shown)
    assert "old" not in trend.alt  # markers outside the series are ignored
    assert "Marked" not in trend_chart("t", months([0.9]), [Marker("1999-01", "alert_drop", "old")]).alt
    assert "drop alert" not in texts(charts()["one point"].svg())  # no legend without markers

    many = texts(charts()["500 points"].svg())
    tick_labels = [t for t in many if re.fullmatch(r"p\d+|2026-\d\d", t)]
    assert 2 <= len(tick_labels) <= 12 and tick_labels[-1] == "p499"  # thinned, latest always named


def test_text_alternatives_say_what_the_chart_shows():
    trend = trend_chart("Top box by month", months([0.9, None, None, None, 0.75], n=200),
                        [Marker("2026-05", "change", "New rota")])
    assert trend.alt == ("Top box by month: from 90 % in 2026-01 to 75 % in 2026-05 (latest, n = 200). "
                         "3 periods had too few responses. Marked: New rota (2026-05).")
    assert charts()["one point"].alt == "Top box: 90 % in 2026-01 (latest, n = 100)."
    assert charts()["nps"].alt == "NPS: +32 in 2026-01 (latest, n = 80)."
    assert charts()["empty trend"].alt == "Top box: no responses yet."
    assert "no period has enough responses" in charts()["all gaps"].alt
    assert charts()["hostile trend"].alt.startswith(HOSTILE[:10])
    assert charts()["bars"].alt.endswith("Satisfied 40 (40%), Top 57 (57%).")
    assert charts()["500 bars"].alt.endswith("And 470 more in the table.")
    segments = charts()["segments"].alt
    assert "Leeds 75 % (n = 100)" in segments and "1 group has fewer than 30 responses" in segments
    assert "And 398 more in the table" in charts()["500 segments"].alt
    assert charts()["all hidden segments"].alt.startswith("By location: no group has 30 or more responses.")


def test_long_bar_lists_draw_the_first_rows_with_shares_of_all_answers():
    chart = distribution_chart("Answers", [Bar(f"option {i}", 1) for i in range(60)])
    shown = texts(chart.svg())
    assert "option 29" in shown and "option 30" not in shown
    assert shown.count("1 (2%)") == 30  # 1 of 60, not 1 of the 30 drawn
    assert "… and 30 more answers in the table" in shown


def test_small_groups_are_named_without_a_value():
    shown = texts(charts()["segments"].svg())
    assert "Ely (n = 12)" in shown and "fewer than 30 responses" in shown
    assert "… and 470 more groups in the table" in texts(charts()["500 segments"].svg())


def test_threads_drawing_at_once_get_the_same_bytes():
    chart = charts()["segments"]
    with ThreadPoolExecutor(4) as pool:
        drawings = list(pool.map(lambda _: chart.svg(), range(8)))
    assert len(set(drawings)) == 1
