"""The 95 % t interval over seeds (lsib.stats), by hand."""

import math

import numpy as np
import pytest
from scipy import stats

from lsib.stats import ci95


def test_ci95_is_mean_plus_minus_student_t_times_standard_error():
    mean, low, high = ci95([1.0, 2.0, 4.0])
    sd = math.sqrt(((1 - 7 / 3) ** 2 + (2 - 7 / 3) ** 2 + (4 - 7 / 3) ** 2) / 2)
    half = stats.t.ppf(0.975, 2) * sd / math.sqrt(3)
    assert mean == pytest.approx(7 / 3)
    assert (low, high) == pytest.approx((7 / 3 - half, 7 / 3 + half))


def test_ci95_of_one_value_has_no_interval_and_of_none_fails():
    mean, low, high = ci95(np.array([0.3]))
    assert mean == 0.3 and math.isnan(low) and math.isnan(high)
    with pytest.raises(ValueError, match="no values"):
        ci95([])
