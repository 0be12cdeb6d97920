"""Linear algebra and array tools (numpy wrappers taking and returning JSON lists)."""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import Field

from xlam.tools.catalog._types import NumberList

CATEGORY = "linear_algebra"

Entry = Annotated[float, Field(ge=-100, le=100)]
Vector3 = Annotated[list[Entry], Field(min_length=3, max_length=3)]
Row2 = Annotated[list[Entry], Field(min_length=2, max_length=2)]
Matrix2 = Annotated[list[Row2], Field(min_length=2, max_length=2, description="A 2x2 matrix as a list of rows.")]
Row3 = Annotated[list[Entry], Field(min_length=3, max_length=3)]
Matrix3 = Annotated[list[Row3], Field(min_length=3, max_length=3, description="A 3x3 matrix as a list of rows.")]


def _clean(values: np.ndarray) -> list[float] | list[list[float]]:
    return np.round(values.astype(float), 10).tolist()  # type: ignore[no-any-return]


def dot_product(a: Vector3, b: Vector3) -> float:
    """Compute the dot product of two vectors.

    Args:
        a: The first vector.
        b: The second vector.
    """
    return float(np.dot(a, b))


def cross_product(a: Vector3, b: Vector3) -> list[float]:
    """Compute the cross product of two 3-D vectors.

    Args:
        a: The first vector.
        b: The second vector.
    """
    return np.cross(a, b).astype(float).tolist()  # type: ignore[no-any-return]


def vector_norm(vector: NumberList, order: Literal[1, 2] = 2) -> float:
    """Compute the length (L2 norm) or the L1 norm of a vector.

    Args:
        vector: The vector.
        order: 2 for the Euclidean length, 1 for the sum of absolute values.
    """
    return float(np.linalg.norm(vector, ord=order))


def cosine_similarity(a: Vector3, b: Vector3) -> float:
    """Compute the cosine similarity of two vectors (0 when either is zero).

    Args:
        a: The first vector.
        b: The second vector.
    """
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    return 0.0 if na == 0 or nb == 0 else float(np.dot(a, b) / (na * nb))


def matrix_multiply(a: Matrix2, b: Matrix2) -> list[list[float]]:
    """Multiply two 2x2 matrices.

    Args:
        a: The left matrix, as a list of rows.
        b: The right matrix, as a list of rows.
    """
    return np.matmul(a, b).astype(float).tolist()  # type: ignore[no-any-return]


def matrix_determinant(matrix: Matrix3) -> float:
    """Compute the determinant of a 3x3 matrix.

    Args:
        matrix: The matrix, as a list of rows.
    """
    return round(float(np.linalg.det(matrix)), 8)


def matrix_transpose(matrix: Matrix3) -> list[list[float]]:
    """Transpose a matrix (swap rows and columns).

    Args:
        matrix: The matrix, as a list of rows.
    """
    return np.transpose(matrix).astype(float).tolist()  # type: ignore[no-any-return]


def matrix_inverse(matrix: Matrix2) -> list[list[float]] | None:
    """Invert a 2x2 matrix (None when it is singular).

    Args:
        matrix: The matrix, as a list of rows.
    """
    if abs(np.linalg.det(matrix)) < 1e-12:
        return None
    return _clean(np.linalg.inv(matrix))  # type: ignore[return-value]


def matrix_trace(matrix: Matrix3) -> float:
    """Compute the trace (sum of the diagonal) of a square matrix.

    Args:
        matrix: The matrix, as a list of rows.
    """
    return float(np.trace(matrix))


def matrix_rank(matrix: Matrix3) -> int:
    """Compute the rank of a matrix.

    Args:
        matrix: The matrix, as a list of rows.
    """
    return int(np.linalg.matrix_rank(matrix))


def eigenvalues(matrix: Annotated[list[Row2], Field(min_length=2, max_length=2)]) -> list[list[float]]:
    """Compute the eigenvalues of a 2x2 matrix as [real, imaginary] pairs.

    Args:
        matrix: The matrix, as a list of rows.
    """
    return [[round(float(v.real), 10), round(float(v.imag), 10)] for v in np.linalg.eigvals(matrix)]


def solve_linear_system(coefficients: Matrix2, constants: Row2) -> list[float] | None:
    """Solve the linear system A x = b for two unknowns (None when A is singular).

    Args:
        coefficients: The 2x2 coefficient matrix A, as a list of rows.
        constants: The right-hand side b.
    """
    if abs(np.linalg.det(coefficients)) < 1e-12:
        return None
    return _clean(np.linalg.solve(coefficients, constants))  # type: ignore[return-value]


def polynomial_roots(coefficients: Annotated[list[Entry], Field(min_length=2, max_length=5, description="Highest degree first.")]) -> list[list[float]]:
    """Find the roots of a polynomial given its coefficients (highest degree first) as [real, imaginary] pairs.

    Args:
        coefficients: The polynomial coefficients, highest degree first.
    """
    coeffs = np.trim_zeros(np.asarray(coefficients, dtype=float), "f")
    if coeffs.size < 2:
        return []
    return [[round(float(r.real), 8), round(float(r.imag), 8)] for r in np.roots(coeffs)]


def polynomial_evaluate(coefficients: Annotated[list[Entry], Field(min_length=1, max_length=6)], x: Annotated[float, Field(ge=-100, le=100)]) -> float:
    """Evaluate a polynomial (coefficients highest degree first) at a point.

    Args:
        coefficients: The polynomial coefficients, highest degree first.
        x: The point at which to evaluate.
    """
    return float(np.polyval(coefficients, x))


def polynomial_fit(x: Annotated[list[Entry], Field(min_length=5, max_length=5)], y: Annotated[list[Entry], Field(min_length=5, max_length=5)], degree: Literal[1, 2] = 1) -> list[float]:
    """Fit a least-squares polynomial of degree 1 or 2 and return its coefficients, highest degree first.

    Args:
        x: The x values.
        y: The y values, as many as x.
        degree: The polynomial degree.
    """
    if len(set(x)) <= degree:
        return [0.0] * degree + [float(np.mean(y))]
    return [round(float(c), 10) for c in np.polyfit(x, y, degree)]


def moving_average(values: Annotated[list[float], Field(min_length=4, max_length=12)], window: Annotated[int, Field(ge=1, le=4)]) -> list[float]:
    """Compute the simple moving average of a series over a sliding window.

    Args:
        values: The series.
        window: The window length.
    """
    return _clean(np.convolve(values, np.ones(window) / window, mode="valid"))  # type: ignore[return-value]


def normalize_vector(vector: NumberList, method: Literal["min_max", "z_score", "unit"] = "min_max") -> list[float]:
    """Rescale a list of numbers by min-max scaling, z-score standardisation or to unit length.

    Args:
        vector: The values to rescale.
        method: The rescaling method.
    """
    v = np.asarray(vector, dtype=float)
    if method == "min_max":
        span = v.max() - v.min()
        out = (v - v.min()) / span if span else np.zeros_like(v)
    elif method == "z_score":
        std = v.std()
        out = (v - v.mean()) / std if std else np.zeros_like(v)
    else:
        norm = np.linalg.norm(v)
        out = v / norm if norm else v
    return _clean(out)  # type: ignore[return-value]


def percentile(values: NumberList, q: Annotated[float, Field(ge=0, le=100)]) -> float:
    """Compute the q-th percentile of a list of numbers (linear interpolation).

    Args:
        values: The data values.
        q: The percentile, between 0 and 100.
    """
    return float(np.percentile(values, q))


def histogram_counts(values: NumberList, bins: Annotated[int, Field(ge=1, le=10)] = 5) -> dict[str, list[float]]:
    """Count how many values fall into equal-width bins.

    Args:
        values: The data values.
        bins: The number of bins.
    """
    counts, edges = np.histogram(values, bins=bins)
    return {"counts": counts.astype(float).tolist(), "edges": _clean(edges)}
