"""Scientific computing tools (scipy wrappers): integration, optimisation, special functions, tests.

scipy is imported inside each tool: it takes ~1-2 s to import, and sandbox batches that call no
scipy tool should not pay for it.
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import Field

CATEGORY = "scientific"

Coefficients = Annotated[list[Annotated[float, Field(ge=-20, le=20)]], Field(min_length=2, max_length=4, description="Polynomial coefficients, highest degree first.")]
Sample = Annotated[list[Annotated[float, Field(ge=-1000, le=1000)]], Field(min_length=5, max_length=12)]


def integrate_polynomial(coefficients: Coefficients, lower: Annotated[float, Field(ge=-10, le=0)], upper: Annotated[float, Field(ge=0, le=10)]) -> float:
    """Numerically integrate a polynomial between two bounds.

    Args:
        coefficients: The polynomial coefficients, highest degree first.
        lower: The lower bound of integration.
        upper: The upper bound of integration.
    """
    from scipy import integrate

    value, _err = integrate.quad(lambda x: float(np.polyval(coefficients, x)), lower, upper)
    return round(float(value), 8)


def minimize_quadratic(a: Annotated[float, Field(gt=0, le=50)], b: Annotated[float, Field(ge=-50, le=50)], c: Annotated[float, Field(ge=-50, le=50)]) -> dict[str, float]:
    """Find the minimum of the parabola a*x^2 + b*x + c (a > 0) numerically.

    Args:
        a: The quadratic coefficient (positive).
        b: The linear coefficient.
        c: The constant term.
    """
    from scipy import optimize

    res = optimize.minimize_scalar(lambda x: a * x * x + b * x + c)
    return {"x": round(float(res.x), 6), "value": round(float(res.fun), 6)}


def find_root_in_interval(coefficients: Coefficients, lower: Annotated[float, Field(ge=-100, le=-50)], upper: Annotated[float, Field(ge=50, le=100)]) -> float | None:
    """Find a root of a polynomial inside an interval by Brent's method (None if the sign does not change).

    Args:
        coefficients: The polynomial coefficients, highest degree first.
        lower: The left end of the interval.
        upper: The right end of the interval.
    """
    from scipy import optimize

    def f(x: float) -> float:
        return float(np.polyval(coefficients, x))

    if f(lower) * f(upper) > 0:
        return None
    return round(float(optimize.brentq(f, lower, upper)), 8)


def gamma_function(x: Annotated[float, Field(gt=0, le=50)]) -> float:
    """Evaluate the gamma function (the factorial extended to real numbers).

    Args:
        x: The positive argument.
    """
    from scipy import special

    return float(special.gamma(x))


def error_function(x: Annotated[float, Field(ge=-5, le=5)]) -> float:
    """Evaluate the Gauss error function erf(x).

    Args:
        x: The argument.
    """
    from scipy import special

    return float(special.erf(x))


def t_test_one_sample(sample: Sample, population_mean: Annotated[float, Field(ge=-1000, le=1000)]) -> dict[str, float]:
    """Run a one-sample Student t-test against a hypothesised mean.

    Args:
        sample: The observations.
        population_mean: The mean under the null hypothesis.
    """
    from scipy import stats

    if len(set(sample)) < 2:
        return {"statistic": 0.0, "p_value": 1.0}
    res = stats.ttest_1samp(sample, population_mean)
    return {"statistic": round(float(res.statistic), 8), "p_value": round(float(res.pvalue), 8)}


def t_test_two_sample(first: Sample, second: Sample, equal_variance: bool = False) -> dict[str, float]:
    """Run a two-sample t-test comparing the means of two groups (Welch's by default).

    Args:
        first: The first group's observations.
        second: The second group's observations.
        equal_variance: Assume equal variances (Student) instead of Welch's test.
    """
    from scipy import stats

    if len(set(first)) < 2 or len(set(second)) < 2:
        return {"statistic": 0.0, "p_value": 1.0}
    res = stats.ttest_ind(first, second, equal_var=equal_variance)
    return {"statistic": round(float(res.statistic), 8), "p_value": round(float(res.pvalue), 8)}


def spearman_correlation(x: Annotated[list[float], Field(min_length=6, max_length=6)], y: Annotated[list[float], Field(min_length=6, max_length=6)]) -> float:
    """Compute Spearman's rank correlation between two equally long series.

    Args:
        x: The first series.
        y: The second series.
    """
    from scipy import stats

    if len(set(x)) < 2 or len(set(y)) < 2:
        return 0.0
    return round(float(stats.spearmanr(x, y).statistic), 8)


def distribution_quantile(probability: Annotated[float, Field(gt=0, lt=1)], distribution: Literal["normal", "exponential", "uniform", "chi2_3", "t_10"] = "normal") -> float:
    """Compute the quantile (inverse CDF) of a standard distribution.

    Args:
        probability: The cumulative probability, strictly between 0 and 1.
        distribution: The distribution: standard normal, unit exponential, uniform on [0, 1], chi-squared with 3 degrees of freedom or Student t with 10.
    """
    from scipy import stats

    dists = {"normal": stats.norm(), "exponential": stats.expon(), "uniform": stats.uniform(),
             "chi2_3": stats.chi2(3), "t_10": stats.t(10)}
    return round(float(dists[distribution].ppf(probability)), 10)


def skewness_kurtosis(sample: Sample) -> dict[str, float]:
    """Compute the skewness and the excess kurtosis of a sample.

    Args:
        sample: The observations.
    """
    from scipy import stats

    if len(set(sample)) < 2:
        return {"skewness": 0.0, "kurtosis": 0.0}
    return {"skewness": round(float(stats.skew(sample)), 8), "kurtosis": round(float(stats.kurtosis(sample)), 8)}


def interpolate_value(x_points: Annotated[list[float], Field(min_length=4, max_length=4, examples=[[0, 1, 2, 3]])], y_points: Annotated[list[float], Field(min_length=4, max_length=4)], x: Annotated[float, Field(ge=0, le=3)]) -> float:
    """Linearly interpolate y at x from known points (x points are sorted first).

    Args:
        x_points: The known x coordinates.
        y_points: The known y values, one per x point.
        x: Where to interpolate.
    """
    order = np.argsort(x_points)
    return float(np.interp(x, np.asarray(x_points)[order], np.asarray(y_points)[order]))
