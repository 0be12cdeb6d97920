"""Descriptive statistics and probability tools (wrappers over :mod:`statistics`)."""

from __future__ import annotations

import math
import statistics
from typing import Annotated, Literal

from pydantic import Field

from xlam.tools.catalog._types import Count, NumberList, Probability

CATEGORY = "statistics"


def mean(numbers: NumberList) -> float:
    """Compute the arithmetic mean (average) of a list of numbers.

    Args:
        numbers: The data values.
    """
    return statistics.fmean(numbers)


def median(numbers: NumberList) -> float:
    """Compute the median (middle value) of a list of numbers.

    Args:
        numbers: The data values.
    """
    return float(statistics.median(numbers))


def mode(numbers: NumberList) -> float:
    """Find the most common value in a list of numbers (the first one on ties).

    Args:
        numbers: The data values.
    """
    return float(statistics.mode(numbers))


def standard_deviation(numbers: NumberList, kind: Literal["sample", "population"] = "sample") -> float:
    """Compute the standard deviation of a list of numbers.

    Args:
        numbers: The data values.
        kind: Whether to compute the sample or the population standard deviation.
    """
    return statistics.stdev(numbers) if kind == "sample" else statistics.pstdev(numbers)


def variance(numbers: NumberList, kind: Literal["sample", "population"] = "sample") -> float:
    """Compute the variance of a list of numbers.

    Args:
        numbers: The data values.
        kind: Whether to compute the sample or the population variance.
    """
    return statistics.variance(numbers) if kind == "sample" else statistics.pvariance(numbers)


def geometric_mean(numbers: Annotated[list[Annotated[float, Field(gt=0, le=1e6)]], Field(min_length=2, max_length=12)]) -> float:
    """Compute the geometric mean of a list of positive numbers.

    Args:
        numbers: The positive data values.
    """
    return statistics.geometric_mean(numbers)


def harmonic_mean(numbers: Annotated[list[Annotated[float, Field(gt=0, le=1e6)]], Field(min_length=2, max_length=12)]) -> float:
    """Compute the harmonic mean of a list of positive numbers.

    Args:
        numbers: The positive data values.
    """
    return statistics.harmonic_mean(numbers)


def quantiles(numbers: NumberList, parts: Annotated[int, Field(ge=2, le=10)] = 4) -> list[float]:
    """Split data into equal-probability intervals and return the cut points (quartiles by default).

    Args:
        numbers: The data values.
        parts: Number of intervals (4 for quartiles, 10 for deciles).
    """
    return [float(q) for q in statistics.quantiles(numbers, n=parts)]


def data_range(numbers: NumberList) -> float:
    """Compute the range (maximum minus minimum) of a list of numbers.

    Args:
        numbers: The data values.
    """
    return float(max(numbers) - min(numbers))


def z_score(value: float, mean: float, std_dev: Annotated[float, Field(gt=0, le=1e6)]) -> float:
    """Compute how many standard deviations a value lies from the mean.

    Args:
        value: The observed value.
        mean: The mean of the distribution.
        std_dev: The standard deviation of the distribution (positive).
    """
    return (value - mean) / std_dev


def correlation(x: Annotated[list[float], Field(min_length=3, max_length=3)], y: Annotated[list[float], Field(min_length=3, max_length=3)]) -> float:
    """Compute Pearson's correlation coefficient between two equally long series.

    Args:
        x: The first series.
        y: The second series, as long as the first.
    """
    if len(set(x)) < 2 or len(set(y)) < 2:
        return 0.0
    return statistics.correlation(x, y)


def linear_regression(x: Annotated[list[float], Field(min_length=4, max_length=4)], y: Annotated[list[float], Field(min_length=4, max_length=4)]) -> dict[str, float]:
    """Fit a least-squares line y = slope * x + intercept to paired data.

    Args:
        x: The independent values (at least two distinct).
        y: The dependent values, as many as x.
    """
    if len(set(x)) < 2:
        return {"slope": 0.0, "intercept": statistics.fmean(y)}
    fit = statistics.linear_regression(x, y)
    return {"slope": fit.slope, "intercept": fit.intercept}


def normal_pdf(x: float, mu: float = 0.0, sigma: Annotated[float, Field(gt=0, le=1000)] = 1.0) -> float:
    """Evaluate the probability density of a normal distribution at a point.

    Args:
        x: The point at which to evaluate the density.
        mu: The mean of the distribution.
        sigma: The standard deviation of the distribution.
    """
    return statistics.NormalDist(mu, sigma).pdf(x)


def normal_cdf(x: float, mu: float = 0.0, sigma: Annotated[float, Field(gt=0, le=1000)] = 1.0) -> float:
    """Compute the probability that a normal random variable is at most x.

    Args:
        x: The upper bound.
        mu: The mean of the distribution.
        sigma: The standard deviation of the distribution.
    """
    return statistics.NormalDist(mu, sigma).cdf(x)


def binomial_probability(n: Count, k: Annotated[int, Field(ge=0, le=20)], p: Probability) -> float:
    """Compute the probability of exactly k successes in n independent trials with success rate p.

    Args:
        n: Number of trials.
        k: Number of successes.
        p: Probability of success in one trial.
    """
    if k > n:
        return 0.0
    return math.comb(n, k) * p**k * (1 - p) ** (n - k)


def poisson_probability(k: Annotated[int, Field(ge=0, le=50)], rate: Annotated[float, Field(gt=0, le=100)]) -> float:
    """Compute the Poisson probability of observing exactly k events given an average rate.

    Args:
        k: The number of events.
        rate: The average number of events per interval (lambda).
    """
    return math.exp(k * math.log(rate) - rate - math.lgamma(k + 1))


def dice_probability(target_sum: Annotated[int, Field(ge=1, le=60)], num_dice: Annotated[int, Field(ge=1, le=10)], faces: Annotated[int, Field(ge=2, le=20)] = 6) -> float:
    """Compute the probability of rolling a target sum with several fair dice.

    Args:
        target_sum: The total to roll.
        num_dice: How many dice are rolled.
        faces: Number of faces on each die.
    """
    ways = [1] + [0] * target_sum
    for _ in range(num_dice):
        nxt = [0] * (target_sum + 1)
        for total, w in enumerate(ways):
            if w:
                for face in range(1, faces + 1):
                    if total + face <= target_sum:
                        nxt[total + face] += w
        ways = nxt
    return float(ways[target_sum]) / float(faces**num_dice)


def confidence_interval(sample_mean: float, std_dev: Annotated[float, Field(gt=0, le=1e6)], sample_size: Annotated[int, Field(ge=2, le=100_000)], confidence: Annotated[float, Field(ge=0.5, le=0.999)] = 0.95) -> dict[str, float]:
    """Compute a normal-approximation confidence interval for a mean.

    Args:
        sample_mean: The sample mean.
        std_dev: The sample standard deviation.
        sample_size: The number of observations.
        confidence: The confidence level, e.g. 0.95.
    """
    z = statistics.NormalDist().inv_cdf(0.5 + confidence / 2)
    half = z * std_dev / math.sqrt(sample_size)
    return {"lower": sample_mean - half, "upper": sample_mean + half}


def expected_value(values: Annotated[list[float], Field(min_length=3, max_length=3)], probabilities: Annotated[list[Annotated[float, Field(ge=0, le=1)]], Field(min_length=3, max_length=3)]) -> float:
    """Compute the expected value of a discrete distribution (probabilities are normalised).

    Args:
        values: The possible outcomes.
        probabilities: The weight of each outcome, as many as values.
    """
    total = sum(probabilities) or 1.0
    return sum(v * p for v, p in zip(values, probabilities, strict=False)) / total
