"""One statistics configuration for every result: the results page, trend detection, the scorecard, the
rollups and the change log read the same object."""
from __future__ import annotations

from datetime import date

from survey.alerts import trends
from survey.config import DEFAULTS
from survey.results import dashboard, rollups, scorecard
from survey.results.settings import Settings
from tests.factories import add_answers, make_survey, make_user
from tests.pages import log_in


def test_the_results_and_trend_detection_share_one_settings_object():
    # Each had its own class, with defaults kept equal by hand.
    assert dashboard.Settings is Settings and trends.Settings is Settings and scorecard.Settings is Settings


def test_settings_come_from_the_configuration_and_default_to_it(app):
    assert Settings.from_config(DEFAULTS) == Settings(segment_names=DEFAULTS["SEGMENT_ATTRIBUTES"])
    app.config.update(TREND_MIN_N=12, TREND_FDR=0.1, SEGMENT_ATTRIBUTES=("region",), TREND_PERIOD="week",
                      TREND_WINDOW=8)
    assert Settings.from_config(app.config) == Settings(min_n=12, fdr=0.1, segment_names=("region",), unit="week",
                                                        window=8)
    with app.app_context():
        assert rollups.segment_names() == ("region",)


def test_a_bad_trend_period_stops_detection_but_not_the_results_page(app, client, runner):
    """The results page takes its period from its filter, so only trend detection refuses the setting."""
    app.config["TREND_PERIOD"] = "fortnight"
    with app.app_context():
        survey = make_survey()
        add_answers(survey, [(date(2026, 10, 5), "Leeds", 4)])
        make_user(email="analyst@example.com", role="analyst")
    result = runner.invoke(args=["detect-trends", "--now", "2026-12-05"])
    assert result.exit_code == 1 and "HEARKEN_TREND_PERIOD must be month, week or quarter, not 'fortnight'" in \
        result.output
    log_in(client, "analyst@example.com")
    assert client.get("/manage/surveys/support-csat/results").status_code == 200
