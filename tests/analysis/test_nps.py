"""NPS with the adjusted-Wald interval (Rocks 2016; Lewis & Sauro 2021, MeasuringU)."""
import math

import pytest
from scipy.stats import norm

from analysis.nps import DETRACTOR_MAX, NPS, PROMOTER_MIN, NPSDifference, nps, nps_difference, nps_groups

Z95 = 1.959963984540054  # qnorm(0.975)


class TestNps:
    def test_hand_computed_adjusted_wald(self):
        # Method of Rocks (2016) as described by Lewis & Sauro (2021, MeasuringU "Confidence
        # Intervals for Net Promoter Scores"): add 3 to n, 3/4 to promoters and 3/4 to detractors.
        # 50/30/20: n_adj = 103, p_p = 50.75/103 = 0.492718, p_d = 20.75/103 = 0.201456,
        # NPS_adj = 0.291262, var = (0.694175 - 0.291262^2)/103 = 0.0059159, se = 0.076915,
        # CI = 0.291262 -/+ 1.96*0.076915 = 0.14051 .. 0.44201 (hand calculation).
        result = nps(50, 30, 20)
        assert result.score == pytest.approx(30.0)
        assert result.se == pytest.approx(7.6915, abs=1e-3)
        assert result.low == pytest.approx(14.051, abs=1e-2)
        assert result.high == pytest.approx(44.201, abs=1e-2)
        assert (result.n, result.promoters, result.passives, result.detractors) == (100, 50, 30, 20)

    def test_trinomial_variance_formula(self):
        # var = (p_p + p_d - (p_p - p_d)^2) / n applied to the adjusted counts, for any counts.
        promoters, passives, detractors = 7, 2, 3
        n_adj = 12 + 3
        p_p, p_d = (7 + 0.75) / n_adj, (3 + 0.75) / n_adj
        se = math.sqrt((p_p + p_d - (p_p - p_d) ** 2) / n_adj)
        result = nps(promoters, passives, detractors, confidence=0.9)
        z90 = norm.ppf(0.95)
        assert result.score == pytest.approx(100 * 4 / 12)
        assert result.se == pytest.approx(100 * se)
        assert result.low == pytest.approx(100 * (p_p - p_d - z90 * se))
        assert result.high == pytest.approx(100 * (p_p - p_d + z90 * se))

    def test_large_n_approaches_plain_trinomial_wald(self):
        # For large n the adjustment vanishes: se -> sqrt((p_p + p_d - NPS^2)/n).
        result = nps(50_000, 30_000, 20_000)
        plain_se = math.sqrt((0.5 + 0.2 - 0.3**2) / 100_000)
        assert result.se == pytest.approx(100 * plain_se, rel=1e-3)
        assert result.low == pytest.approx(30 - 100 * Z95 * plain_se, abs=0.02)

    def test_interval_is_clipped_to_scale(self):
        result = nps(5, 0, 0)
        assert result.score == 100.0
        assert result.high == 100.0
        assert 0 < result.low < 100
        assert nps(0, 0, 5).low == -100.0

    def test_n_zero(self):
        assert nps(0, 0, 0) == NPS(None, None, None, 0, 0, 0, 0, None)

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            ((-1, 0, 0), "promoters"),
            ((0, -1, 0), "passives"),
            ((0, 0, -1), "detractors"),
            ((1.5, 0, 0), "whole"),
            ((1, 1, 1, 0.0), "confidence"),
            ((1, 1, 1, 1.2), "confidence"),
        ],
    )
    def test_invalid_input(self, args, message):
        with pytest.raises(ValueError, match=message):
            nps(*args)


class TestNpsDifference:
    def test_hand_computed(self):
        # Lewis & Sauro (2021, MeasuringU "How to Statistically Compare Two Net Promoter Scores"):
        # adjust each sample (+3/4 promoters, +3/4 detractors, +3 n), se = sqrt(var_a + var_b).
        # a = 50/30/20: NPS_adj = 0.291262, var = 0.0059159
        # b = 40/30/30: p_p = 40.75/103 = 0.395631, p_d = 30.75/103 = 0.298544,
        #    NPS_adj = 0.097087, var = (0.694175 - 0.097087^2)/103 = 0.0066481
        # se = sqrt(0.0125640) = 0.112089, z = -0.194175/0.112089 = -1.7323, p = 0.0832.
        result = nps_difference((50, 30, 20), (40, 30, 30))
        assert result.difference == pytest.approx(-20.0)  # later minus earlier, plain NPS
        assert result.se == pytest.approx(11.2089, abs=1e-3)
        assert result.z == pytest.approx(-1.7323, abs=1e-4)
        assert result.p_value == pytest.approx(0.0832, abs=1e-4)
        assert result.low == pytest.approx(100 * (-0.194175 - Z95 * 0.112089), abs=1e-2)
        assert result.high == pytest.approx(100 * (-0.194175 + Z95 * 0.112089), abs=1e-2)

    def test_consistent_with_single_period_se(self):
        a, b = nps(120, 60, 20), nps(80, 70, 50)
        result = nps_difference((120, 60, 20), (80, 70, 50))
        assert result.se == pytest.approx(math.hypot(a.se, b.se))
        assert result.p_value < 0.05 and result.high < 0  # a clear drop

    def test_swapping_periods_flips_sign(self):
        forward = nps_difference((50, 30, 20), (40, 30, 30))
        backward = nps_difference((40, 30, 30), (50, 30, 20))
        assert backward.difference == pytest.approx(-forward.difference)
        assert backward.z == pytest.approx(-forward.z)
        assert backward.low == pytest.approx(-forward.high)
        assert backward.p_value == pytest.approx(forward.p_value)

    def test_n_zero(self):
        empty = NPSDifference(None, None, None, None, None, None)
        assert nps_difference((0, 0, 0), (1, 2, 3)) == empty
        assert nps_difference((1, 2, 3), (0, 0, 0)) == empty

    @pytest.mark.parametrize(
        ("a", "b", "confidence", "message"),
        [
            ((1, 2), (1, 2, 3), 0.95, "promoters, passives, detractors"),
            ((1, 2, 3), "abc", 0.95, "promoters, passives, detractors"),
            ((1, -2, 3), (1, 2, 3), 0.95, "a passives"),
            ((1, 2, 3), (1, 2, -3), 0.95, "b detractors"),
            ((1, 2, 3), (1, 2, 3), 0.0, "confidence"),
        ],
    )
    def test_invalid_input(self, a, b, confidence, message):
        with pytest.raises(ValueError, match=message):
            nps_difference(a, b, confidence)


class TestNpsGroups:
    def test_promoters_answer_9_or_10_and_detractors_0_to_6(self):
        # The standard definition (Reichheld 2003): 9–10 promoters, 7–8 passives, 0–6 detractors.
        assert (PROMOTER_MIN, DETRACTOR_MAX) == (9, 6)
        assert nps_groups({value: 1 for value in range(11)}) == (2, 2, 7)
        assert nps_groups({10: 30, 9: 20, 8: 25, 7: 5, 6: 4, 0: 16}) == (50, 30, 20)
        assert nps_groups({}) == (0, 0, 0)

    def test_the_groups_feed_nps(self):
        assert nps(*nps_groups({10: 50, 7: 30, 2: 20})).score == pytest.approx(30.0)

    @pytest.mark.parametrize(("counts", "message"), [({9: -1}, "count of answer 9"), ({9: 1.5}, "count of answer 9"),
                                                     ({"9": 1}, "whole numbers"), ({True: 1}, "whole numbers")])
    def test_invalid_input(self, counts, message):
        with pytest.raises(ValueError, match=message):
            nps_groups(counts)
