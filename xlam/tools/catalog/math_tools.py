"""Arithmetic and number-theory tools (wrappers over :mod:`math` with typed, documented arguments)."""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import Field

from xlam.tools.catalog._types import Angle, AnyInt, IntList, Number, NumberList, PositiveInt, PositiveNumber

CATEGORY = "math"


def square_root(x: Annotated[float, Field(ge=0, le=1e9)]) -> float:
    """Compute the square root of a non-negative number.

    Args:
        x: The number to take the square root of.
    """
    return math.sqrt(x)


def cube_root(x: Number) -> float:
    """Compute the real cube root of a number.

    Args:
        x: The number whose cube root is wanted.
    """
    return math.copysign(abs(x) ** (1.0 / 3.0), x)


def power(base: Annotated[float, Field(ge=-100, le=100)], exponent: Annotated[int, Field(ge=0, le=12)]) -> float:
    """Raise a base to an integer exponent.

    Args:
        base: The base number.
        exponent: The non-negative integer exponent.
    """
    return float(base**exponent)


def logarithm(x: PositiveNumber, base: Annotated[float, Field(gt=1, le=100)] = math.e) -> float:
    """Compute the logarithm of a positive number in a given base (natural log by default).

    Args:
        x: The positive number.
        base: The logarithm base, greater than 1.
    """
    return math.log(x, base)


def exponential(x: Annotated[float, Field(ge=-50, le=50)]) -> float:
    """Compute e raised to the power x.

    Args:
        x: The exponent.
    """
    return math.exp(x)


def factorial(n: Annotated[int, Field(ge=0, le=20)]) -> int:
    """Compute the factorial n! of a non-negative integer.

    Args:
        n: The non-negative integer.
    """
    return math.factorial(n)


def greatest_common_divisor(a: PositiveInt, b: PositiveInt) -> int:
    """Find the greatest common divisor of two positive integers.

    Args:
        a: The first integer.
        b: The second integer.
    """
    return math.gcd(a, b)


def least_common_multiple(a: PositiveInt, b: PositiveInt) -> int:
    """Find the least common multiple of two positive integers.

    Args:
        a: The first integer.
        b: The second integer.
    """
    return math.lcm(a, b)


def is_prime(n: Annotated[int, Field(ge=0, le=10_000_000)]) -> bool:
    """Check whether an integer is a prime number.

    Args:
        n: The integer to test.
    """
    if n < 2:
        return False
    if n % 2 == 0:
        return n == 2
    return all(n % d for d in range(3, math.isqrt(n) + 1, 2))


def prime_factors(n: Annotated[int, Field(ge=2, le=10_000_000)]) -> list[int]:
    """Decompose an integer into its prime factors, with multiplicity, in increasing order.

    Args:
        n: The integer to factorise (at least 2).
    """
    factors: list[int] = []
    d = 2
    while d * d <= n:
        while n % d == 0:
            factors.append(d)
            n //= d
        d += 1
    if n > 1:
        factors.append(n)
    return factors


def primes_up_to(limit: Annotated[int, Field(ge=2, le=10_000)]) -> list[int]:
    """List all prime numbers up to and including a limit (sieve of Eratosthenes).

    Args:
        limit: The upper bound.
    """
    sieve = [True] * (limit + 1)
    sieve[0:2] = [False, False]
    for i in range(2, math.isqrt(limit) + 1):
        if sieve[i]:
            sieve[i * i :: i] = [False] * len(range(i * i, limit + 1, i))
    return [i for i, flag in enumerate(sieve) if flag]


def fibonacci(n: Annotated[int, Field(ge=0, le=90)]) -> int:
    """Return the n-th Fibonacci number (F0 = 0, F1 = 1).

    Args:
        n: The index in the Fibonacci sequence.
    """
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def fibonacci_sequence(count: Annotated[int, Field(ge=1, le=60)]) -> list[int]:
    """Return the first terms of the Fibonacci sequence.

    Args:
        count: How many terms to return.
    """
    out, a, b = [], 0, 1
    for _ in range(count):
        out.append(a)
        a, b = b, a + b
    return out


def binomial_coefficient(n: Annotated[int, Field(ge=0, le=60)], k: Annotated[int, Field(ge=0, le=60)]) -> int:
    """Count the ways to choose k items from n without order (n choose k).

    Args:
        n: Total number of items.
        k: Number of items chosen.
    """
    return math.comb(n, k)


def permutations_count(n: Annotated[int, Field(ge=0, le=20)], k: Annotated[int, Field(ge=0, le=20)]) -> int:
    """Count the ordered arrangements of k items taken from n.

    Args:
        n: Total number of items.
        k: Number of items arranged.
    """
    return math.perm(n, k)


def sine(angle_degrees: Angle) -> float:
    """Compute the sine of an angle given in degrees.

    Args:
        angle_degrees: The angle in degrees.
    """
    return math.sin(math.radians(angle_degrees))


def cosine(angle_degrees: Angle) -> float:
    """Compute the cosine of an angle given in degrees.

    Args:
        angle_degrees: The angle in degrees.
    """
    return math.cos(math.radians(angle_degrees))


def tangent(angle_degrees: Annotated[float, Field(ge=-89, le=89)]) -> float:
    """Compute the tangent of an angle given in degrees.

    Args:
        angle_degrees: The angle in degrees, strictly between -90 and 90.
    """
    return math.tan(math.radians(angle_degrees))


def degrees_to_radians(degrees: Angle) -> float:
    """Convert an angle from degrees to radians.

    Args:
        degrees: The angle in degrees.
    """
    return math.radians(degrees)


def radians_to_degrees(radians: Annotated[float, Field(ge=-10, le=10)]) -> float:
    """Convert an angle from radians to degrees.

    Args:
        radians: The angle in radians.
    """
    return math.degrees(radians)


def hypotenuse(a: PositiveNumber, b: PositiveNumber) -> float:
    """Compute the hypotenuse of a right triangle from its two legs.

    Args:
        a: Length of the first leg.
        b: Length of the second leg.
    """
    return math.hypot(a, b)


def round_number(x: Number, digits: Annotated[int, Field(ge=0, le=10)] = 0) -> float:
    """Round a number to a given number of decimal places.

    Args:
        x: The number to round.
        digits: Number of decimal places to keep.
    """
    return round(x, digits)


def integer_divide(dividend: AnyInt, divisor: Annotated[int, Field(ge=1, le=1000)]) -> dict[str, int]:
    """Divide two integers and return the quotient and the remainder.

    Args:
        dividend: The integer to divide.
        divisor: The positive integer to divide by.
    """
    q, r = divmod(dividend, divisor)
    return {"quotient": q, "remainder": r}


def digit_sum(n: Annotated[int, Field(ge=0, le=10**15)]) -> int:
    """Sum the decimal digits of a non-negative integer.

    Args:
        n: The integer.
    """
    return sum(int(c) for c in str(n))


def is_perfect_square(n: Annotated[int, Field(ge=0, le=10**12)]) -> bool:
    """Check whether an integer is a perfect square.

    Args:
        n: The non-negative integer to test.
    """
    return math.isqrt(n) ** 2 == n


def product_of_numbers(numbers: NumberList) -> float:
    """Multiply a list of numbers together.

    Args:
        numbers: The numbers to multiply.
    """
    return float(math.prod(numbers))


def sum_of_squares(numbers: NumberList) -> float:
    """Compute the sum of the squares of a list of numbers.

    Args:
        numbers: The numbers.
    """
    return math.fsum(x * x for x in numbers)


def lcm_of_list(numbers: Annotated[list[Annotated[int, Field(ge=1, le=1000)]], Field(min_length=2, max_length=5)]) -> int:
    """Find the least common multiple of a list of positive integers.

    Args:
        numbers: The positive integers.
    """
    return math.lcm(*numbers)


def to_base(n: Annotated[int, Field(ge=0, le=10**9)], base: Annotated[int, Field(ge=2, le=36)]) -> str:
    """Write a non-negative integer in another base (2 to 36).

    Args:
        n: The integer to convert.
        base: The target base.
    """
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    if n == 0:
        return "0"
    out = ""
    while n:
        n, r = divmod(n, base)
        out = digits[r] + out
    return out


def collatz_steps(n: Annotated[int, Field(ge=1, le=10**6)]) -> int:
    """Count the steps the Collatz sequence takes to reach 1 from n.

    Args:
        n: The positive starting integer.
    """
    steps = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps


def is_armstrong_number(n: Annotated[int, Field(ge=0, le=10**9)]) -> bool:
    """Check whether a number equals the sum of its digits each raised to the number of digits.

    Args:
        n: The non-negative integer to test.
    """
    s = str(n)
    return bool(sum(int(c) ** len(s) for c in s) == n)


def sum_integers_divisible(limit: Annotated[int, Field(ge=1, le=10**6)], divisors: IntList) -> int:
    """Sum the positive integers below a limit that are divisible by any of the given divisors.

    Args:
        limit: Exclusive upper bound.
        divisors: Divisors to test (zero and negative values are ignored).
    """
    ds = [d for d in divisors if d > 0]
    return sum(i for i in range(1, limit) if any(i % d == 0 for d in ds))
