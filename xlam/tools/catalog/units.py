"""Unit conversions: temperature, length, mass, volume, speed, area, data, energy, pressure, time."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from xlam.tools.catalog._types import NonNegativeNumber

CATEGORY = "units"

_LENGTH = {"millimeter": 0.001, "centimeter": 0.01, "meter": 1.0, "kilometer": 1000.0, "inch": 0.0254,
           "foot": 0.3048, "yard": 0.9144, "mile": 1609.344, "nautical_mile": 1852.0}
_MASS = {"milligram": 1e-6, "gram": 0.001, "kilogram": 1.0, "tonne": 1000.0, "ounce": 0.028349523125,
         "pound": 0.45359237, "stone": 6.35029318}
_VOLUME = {"milliliter": 0.001, "liter": 1.0, "cubic_meter": 1000.0, "teaspoon": 0.00492892,
           "tablespoon": 0.0147868, "cup": 0.236588, "pint": 0.473176, "gallon": 3.785411784}
_SPEED = {"meters_per_second": 1.0, "kilometers_per_hour": 1 / 3.6, "miles_per_hour": 0.44704, "knots": 0.514444}
_AREA = {"square_meter": 1.0, "square_kilometer": 1e6, "square_foot": 0.09290304, "acre": 4046.8564224,
         "hectare": 10_000.0, "square_mile": 2_589_988.110336}
_DATA = {"bit": 0.125, "byte": 1.0, "kilobyte": 1e3, "megabyte": 1e6, "gigabyte": 1e9, "terabyte": 1e12,
         "kibibyte": 1024.0, "mebibyte": 1024.0**2, "gibibyte": 1024.0**3}
_ENERGY = {"joule": 1.0, "kilojoule": 1e3, "calorie": 4.184, "kilocalorie": 4184.0, "watt_hour": 3600.0,
           "kilowatt_hour": 3.6e6, "electronvolt": 1.602176634e-19}
_PRESSURE = {"pascal": 1.0, "kilopascal": 1e3, "bar": 1e5, "atmosphere": 101_325.0, "psi": 6894.757293168,
             "mmhg": 133.322387415}
_TIME = {"second": 1.0, "minute": 60.0, "hour": 3600.0, "day": 86400.0, "week": 604800.0, "year": 31_557_600.0}

LengthUnit = Literal["millimeter", "centimeter", "meter", "kilometer", "inch", "foot", "yard", "mile", "nautical_mile"]
MassUnit = Literal["milligram", "gram", "kilogram", "tonne", "ounce", "pound", "stone"]
VolumeUnit = Literal["milliliter", "liter", "cubic_meter", "teaspoon", "tablespoon", "cup", "pint", "gallon"]
SpeedUnit = Literal["meters_per_second", "kilometers_per_hour", "miles_per_hour", "knots"]
AreaUnit = Literal["square_meter", "square_kilometer", "square_foot", "acre", "hectare", "square_mile"]
DataUnit = Literal["bit", "byte", "kilobyte", "megabyte", "gigabyte", "terabyte", "kibibyte", "mebibyte", "gibibyte"]
EnergyUnit = Literal["joule", "kilojoule", "calorie", "kilocalorie", "watt_hour", "kilowatt_hour", "electronvolt"]
PressureUnit = Literal["pascal", "kilopascal", "bar", "atmosphere", "psi", "mmhg"]
TimeUnit = Literal["second", "minute", "hour", "day", "week", "year"]
TemperatureUnit = Literal["celsius", "fahrenheit", "kelvin"]


def _convert(value: float, table: dict[str, float], from_unit: str, to_unit: str) -> float:
    return value * table[from_unit] / table[to_unit]


def convert_length(value: NonNegativeNumber, from_unit: LengthUnit, to_unit: LengthUnit) -> float:
    """Convert a length or distance between metric and imperial units.

    Args:
        value: The length to convert.
        from_unit: The unit of the value.
        to_unit: The unit to convert to.
    """
    return _convert(value, _LENGTH, from_unit, to_unit)


def convert_mass(value: NonNegativeNumber, from_unit: MassUnit, to_unit: MassUnit) -> float:
    """Convert a mass or weight between units.

    Args:
        value: The mass to convert.
        from_unit: The unit of the value.
        to_unit: The unit to convert to.
    """
    return _convert(value, _MASS, from_unit, to_unit)


def convert_volume(value: NonNegativeNumber, from_unit: VolumeUnit, to_unit: VolumeUnit) -> float:
    """Convert a volume between metric and US customary units.

    Args:
        value: The volume to convert.
        from_unit: The unit of the value.
        to_unit: The unit to convert to.
    """
    return _convert(value, _VOLUME, from_unit, to_unit)


def convert_speed(value: NonNegativeNumber, from_unit: SpeedUnit, to_unit: SpeedUnit) -> float:
    """Convert a speed between units.

    Args:
        value: The speed to convert.
        from_unit: The unit of the value.
        to_unit: The unit to convert to.
    """
    return _convert(value, _SPEED, from_unit, to_unit)


def convert_area(value: NonNegativeNumber, from_unit: AreaUnit, to_unit: AreaUnit) -> float:
    """Convert an area between units.

    Args:
        value: The area to convert.
        from_unit: The unit of the value.
        to_unit: The unit to convert to.
    """
    return _convert(value, _AREA, from_unit, to_unit)


def convert_data_size(value: NonNegativeNumber, from_unit: DataUnit, to_unit: DataUnit) -> float:
    """Convert a digital storage size between decimal and binary units.

    Args:
        value: The size to convert.
        from_unit: The unit of the value.
        to_unit: The unit to convert to.
    """
    return _convert(value, _DATA, from_unit, to_unit)


def convert_energy(value: NonNegativeNumber, from_unit: EnergyUnit, to_unit: EnergyUnit) -> float:
    """Convert an amount of energy between units.

    Args:
        value: The energy to convert.
        from_unit: The unit of the value.
        to_unit: The unit to convert to.
    """
    return _convert(value, _ENERGY, from_unit, to_unit)


def convert_pressure(value: NonNegativeNumber, from_unit: PressureUnit, to_unit: PressureUnit) -> float:
    """Convert a pressure between units.

    Args:
        value: The pressure to convert.
        from_unit: The unit of the value.
        to_unit: The unit to convert to.
    """
    return _convert(value, _PRESSURE, from_unit, to_unit)


def convert_time_units(value: NonNegativeNumber, from_unit: TimeUnit, to_unit: TimeUnit) -> float:
    """Convert a duration between units (a year is 365.25 days).

    Args:
        value: The duration to convert.
        from_unit: The unit of the value.
        to_unit: The unit to convert to.
    """
    return _convert(value, _TIME, from_unit, to_unit)


def convert_temperature(value: Annotated[float, Field(ge=-200, le=1000)], from_unit: TemperatureUnit, to_unit: TemperatureUnit) -> float:
    """Convert a temperature between Celsius, Fahrenheit and Kelvin.

    Args:
        value: The temperature to convert.
        from_unit: The scale of the value.
        to_unit: The scale to convert to.
    """
    kelvin = {"celsius": value + 273.15, "fahrenheit": (value - 32) * 5 / 9 + 273.15, "kelvin": value}[from_unit]
    return {"celsius": kelvin - 273.15, "fahrenheit": (kelvin - 273.15) * 9 / 5 + 32, "kelvin": kelvin}[to_unit]


def fuel_economy_convert(value: Annotated[float, Field(gt=0, le=200)], from_unit: Literal["mpg_us", "mpg_uk", "km_per_liter", "liters_per_100km"], to_unit: Literal["mpg_us", "mpg_uk", "km_per_liter", "liters_per_100km"]) -> float:
    """Convert fuel economy between miles per gallon, km per liter and liters per 100 km.

    Args:
        value: The fuel economy to convert.
        from_unit: The unit of the value.
        to_unit: The unit to convert to.
    """
    to_kmpl = {"mpg_us": 0.425143707, "mpg_uk": 0.354006189, "km_per_liter": 1.0}
    kmpl = 100.0 / value if from_unit == "liters_per_100km" else value * to_kmpl[from_unit]
    return 100.0 / kmpl if to_unit == "liters_per_100km" else kmpl / to_kmpl[to_unit]


def shoe_size_convert(size: Annotated[float, Field(ge=4, le=14)], from_system: Literal["us_men", "uk"], to_system: Literal["eu", "us_men", "uk"]) -> float:
    """Convert an adult shoe size between the US men's, UK and EU systems (approximate).

    Args:
        size: The shoe size.
        from_system: The sizing system of the size.
        to_system: The sizing system to convert to.
    """
    uk = size - 1 if from_system == "us_men" else size
    return {"uk": uk, "us_men": uk + 1, "eu": round(uk * 1.27 + 33.5 - 0.5, 1)}[to_system]
