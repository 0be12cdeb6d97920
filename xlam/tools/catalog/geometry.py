"""Geometry tools: areas, volumes, distances and shapes."""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import Field

from xlam.tools.catalog._types import PositiveNumber

CATEGORY = "geometry"

Coordinate = Annotated[float, Field(ge=-1000, le=1000)]
Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]


def circle_area(radius: PositiveNumber) -> float:
    """Compute the area of a circle.

    Args:
        radius: The radius of the circle.
    """
    return math.pi * radius**2


def circle_circumference(radius: PositiveNumber) -> float:
    """Compute the circumference of a circle.

    Args:
        radius: The radius of the circle.
    """
    return 2 * math.pi * radius


def rectangle_area(length: PositiveNumber, width: PositiveNumber) -> float:
    """Compute the area of a rectangle.

    Args:
        length: The length of the rectangle.
        width: The width of the rectangle.
    """
    return length * width


def triangle_area(base: PositiveNumber, height: PositiveNumber) -> float:
    """Compute the area of a triangle from its base and height.

    Args:
        base: The length of the base.
        height: The height relative to that base.
    """
    return 0.5 * base * height


def triangle_area_from_sides(a: Annotated[float, Field(ge=3, le=5)], b: Annotated[float, Field(ge=3, le=5)], c: Annotated[float, Field(ge=3, le=5)]) -> float:
    """Compute the area of a triangle from its three side lengths (Heron's formula).

    Args:
        a: The first side.
        b: The second side.
        c: The third side.
    """
    s = (a + b + c) / 2
    return math.sqrt(max(0.0, s * (s - a) * (s - b) * (s - c)))


def sphere_volume(radius: PositiveNumber) -> float:
    """Compute the volume of a sphere.

    Args:
        radius: The radius of the sphere.
    """
    return 4 / 3 * math.pi * radius**3


def cylinder_volume(radius: PositiveNumber, height: PositiveNumber) -> float:
    """Compute the volume of a cylinder.

    Args:
        radius: The radius of the base.
        height: The height of the cylinder.
    """
    return math.pi * radius**2 * height


def cone_volume(radius: PositiveNumber, height: PositiveNumber) -> float:
    """Compute the volume of a cone.

    Args:
        radius: The radius of the base.
        height: The height of the cone.
    """
    return math.pi * radius**2 * height / 3


def euclidean_distance(x1: Coordinate, y1: Coordinate, x2: Coordinate, y2: Coordinate) -> float:
    """Compute the straight-line distance between two points in the plane.

    Args:
        x1: The x coordinate of the first point.
        y1: The y coordinate of the first point.
        x2: The x coordinate of the second point.
        y2: The y coordinate of the second point.
    """
    return math.dist((x1, y1), (x2, y2))


def midpoint(x1: Coordinate, y1: Coordinate, x2: Coordinate, y2: Coordinate) -> list[float]:
    """Find the midpoint of the segment between two points.

    Args:
        x1: The x coordinate of the first point.
        y1: The y coordinate of the first point.
        x2: The x coordinate of the second point.
        y2: The y coordinate of the second point.
    """
    return [(x1 + x2) / 2, (y1 + y2) / 2]


def slope_of_line(x1: Coordinate, y1: Coordinate, x2: Annotated[float, Field(ge=1001, le=2000)], y2: Coordinate) -> float:
    """Compute the slope of the line through two points with different x coordinates.

    Args:
        x1: The x coordinate of the first point.
        y1: The y coordinate of the first point.
        x2: The x coordinate of the second point.
        y2: The y coordinate of the second point.
    """
    return (y2 - y1) / (x2 - x1)


def haversine_distance(lat1: Latitude, lon1: Longitude, lat2: Latitude, lon2: Longitude, unit: Literal["km", "miles"] = "km") -> float:
    """Compute the great-circle distance between two places given by latitude and longitude.

    Args:
        lat1: Latitude of the first place in degrees.
        lon1: Longitude of the first place in degrees.
        lat2: Latitude of the second place in degrees.
        lon2: Longitude of the second place in degrees.
        unit: The unit of the result.
    """
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    km = 2 * 6371.0088 * math.asin(math.sqrt(min(1.0, a)))
    return km if unit == "km" else km / 1.609344


def regular_polygon_area(sides: Annotated[int, Field(ge=3, le=20)], side_length: PositiveNumber) -> float:
    """Compute the area of a regular polygon.

    Args:
        sides: The number of sides.
        side_length: The length of one side.
    """
    return sides * side_length**2 / (4 * math.tan(math.pi / sides))


def polygon_area(x_coords: Annotated[list[float], Field(min_length=4, max_length=4)], y_coords: Annotated[list[float], Field(min_length=4, max_length=4)]) -> float:
    """Compute the area of a simple polygon from its vertices (shoelace formula).

    Args:
        x_coords: The x coordinates of the vertices, in order.
        y_coords: The y coordinates of the vertices, in the same order.
    """
    n = len(x_coords)
    twice = sum(x_coords[i] * y_coords[(i + 1) % n] - x_coords[(i + 1) % n] * y_coords[i] for i in range(n))
    return abs(twice) / 2
