"""Physical constants, planets, particles, materials and sky events: small real tables plus seeded synthetic data."""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any, Literal

from pydantic import Field

from xlam.tools.catalog.domains._common import Date, Name, Year, listing, record, tool

CATEGORY = "physics"

_CONSTANTS = {
    "speed of light": (299_792_458.0, "m/s"), "gravitational constant": (6.6743e-11, "m^3 kg^-1 s^-2"),
    "planck constant": (6.62607015e-34, "J s"), "boltzmann constant": (1.380649e-23, "J/K"),
    "elementary charge": (1.602176634e-19, "C"), "avogadro constant": (6.02214076e23, "1/mol"),
    "electron mass": (9.1093837015e-31, "kg"), "proton mass": (1.67262192369e-27, "kg"),
    "vacuum permittivity": (8.8541878128e-12, "F/m"), "standard gravity": (9.80665, "m/s^2"),
}
_PLANETS = {
    "Mercury": (0.0553, 57.9, 88.0, 0), "Venus": (0.815, 108.2, 224.7, 0), "Earth": (1.0, 149.6, 365.2, 1),
    "Mars": (0.107, 228.0, 687.0, 2), "Jupiter": (317.8, 778.5, 4331.0, 95), "Saturn": (95.2, 1432.0, 10747.0, 146),
    "Uranus": (14.5, 2867.0, 30589.0, 28), "Neptune": (17.1, 4515.0, 59800.0, 16),
}
_PARTICLES = {"electron": (0.511, -1, "lepton"), "proton": (938.272, 1, "baryon"), "neutron": (939.565, 0, "baryon"),
              "muon": (105.66, -1, "lepton"), "photon": (0.0, 0, "boson"), "neutrino": (0.0000001, 0, "lepton")}
_SOUND = {"air": 343.0, "water": 1481.0, "steel": 5960.0, "glass": 4540.0, "helium": 972.0, "wood": 3960.0}
Planet = Literal["Mercury", "Venus", "Earth", "Mars", "Jupiter", "Saturn", "Uranus", "Neptune"]


@tool
def get_physical_constant(constant_name: Literal["speed of light", "gravitational constant", "planck constant",
                                                 "boltzmann constant", "elementary charge", "avogadro constant",
                                                 "electron mass", "proton mass", "vacuum permittivity", "standard gravity"]) -> dict[str, Any]:
    """Get the value and unit of a physical constant.

    Args:
        constant_name: The constant.
    """
    value, unit = _CONSTANTS[constant_name]
    return {"constant_name": constant_name, "value": value, "unit": unit}


@tool
def get_planet_facts(planet: Planet) -> dict[str, Any]:
    """Get the mass, distance from the Sun, orbital period and moons of a planet.

    Args:
        planet: The planet.
    """
    mass, distance, period, moons = _PLANETS[planet]
    return {"planet": planet, "mass_earths": mass, "distance_million_km": distance, "orbital_period_days": period,
            "moons": moons}


@tool
def get_particle_properties(particle: Literal["electron", "proton", "neutron", "muon", "photon", "neutrino"]) -> dict[str, Any]:
    """Get the mass, charge and family of a subatomic particle.

    Args:
        particle: The particle.
    """
    mass, charge, family = _PARTICLES[particle]
    return {"particle": particle, "mass_mev": mass, "charge": charge, "family": family}


@tool
def get_speed_of_sound_in_medium(medium: Literal["air", "water", "steel", "glass", "helium", "wood"],
                                 temperature_celsius: Annotated[float, Field(ge=-100, le=500)] = 20.0) -> dict[str, Any]:
    """Get the speed of sound in a medium.

    Args:
        medium: The material the sound travels through.
        temperature_celsius: The temperature (affects gases) in degrees Celsius.
    """
    if not -100 <= temperature_celsius <= 500:
        raise ValueError(f"temperature_celsius must be between -100 and 500, got {temperature_celsius}")
    speed = _SOUND[medium]
    if medium in ("air", "helium"):
        speed *= ((273.15 + temperature_celsius) / 293.15) ** 0.5
    return {"medium": medium, "meters_per_second": round(speed, 1)}


@tool
def lookup_material_density(material: Name) -> dict[str, Any]:
    """Look up the density of a material.

    Args:
        material: The material, e.g. aluminium or oak.
    """
    return record("lookup_material_density", locals(), kg_per_m3=("int", 100, 21000))


@tool
def get_refractive_index(material: Name, wavelength_nm: Annotated[int, Field(ge=200, le=2000)] = 589) -> dict[str, Any]:
    """Get the refractive index of a transparent material at a wavelength.

    Args:
        material: The material.
        wavelength_nm: The light's wavelength in nanometres.
    """
    if not 200 <= wavelength_nm <= 2000:
        raise ValueError(f"wavelength_nm must be between 200 and 2000, got {wavelength_nm}")
    return record("get_refractive_index", locals(), refractive_index=("float", 1.0, 2.6))


@tool
def get_star_info(star_name: Name) -> dict[str, Any]:
    """Get the spectral type, distance and brightness of a star.

    Args:
        star_name: The star.
    """
    return record("get_star_info", locals(), spectral_type=("pick", ["O", "B", "A", "F", "G", "K", "M"]),
                  distance_light_years=("float", 4, 3000), apparent_magnitude=("float", -1.5, 6))


@tool
def list_physics_nobel_laureates(year: Year) -> dict[str, Any]:
    """List the winners of the Nobel Prize in Physics in a year.

    Args:
        year: The award year.
    """
    if year < 1901:
        raise ValueError(f"the physics prize was first awarded in 1901, got {year}")
    names = ["A. Moreau", "K. Tanaka", "L. Berg", "R. Okafor", "S. Ivanova", "T. Walsh", "M. Rossi"]
    return record("list_physics_nobel_laureates", locals(), laureates=("some", names, 2),
                  field=("pick", ["condensed matter", "particle physics", "astrophysics", "optics", "quantum information"]))


@tool
def get_moon_phase(date: Date) -> dict[str, Any]:
    """Get the phase of the Moon on a date.

    Args:
        date: The day (YYYY-MM-DD).
    """
    days = (dt.date.fromisoformat(date) - dt.date(2000, 1, 6)).days % 29.530588
    phases = ["new moon", "waxing crescent", "first quarter", "waxing gibbous", "full moon", "waning gibbous",
              "last quarter", "waning crescent"]
    return {"date": date, "phase": phases[int((days / 29.530588) * 8 + 0.5) % 8],
            "illumination_percent": round(50 * (1 - math.cos(2 * math.pi * days / 29.530588)))}


@tool
def get_satellite_pass_times(city: Name, date: Date, satellite: Literal["ISS", "Hubble", "Tiangong"] = "ISS") -> list[dict[str, Any]]:
    """Get when a satellite is visible over a city on a date.

    Args:
        city: The observer's city.
        date: The day (YYYY-MM-DD).
        satellite: The satellite.
    """
    return listing("get_satellite_pass_times", locals(), 2, starts=("time", 4, 23), duration_minutes=("int", 1, 7),
                   max_elevation_deg=("int", 10, 89))


@tool
def get_exoplanet_details(exoplanet_name: Name) -> dict[str, Any]:
    """Get the host star, radius and orbit of an exoplanet.

    Args:
        exoplanet_name: The exoplanet.
    """
    return record("get_exoplanet_details", locals(), radius_earths=("float", 0.5, 20), orbital_period_days=("float", 0.5, 900),
                  discovery_method=("pick", ["transit", "radial velocity", "imaging", "microlensing"]),
                  discovered=("int", 1995, 2025))


@tool
def get_metal_melting_point(metal: Literal["aluminium", "copper", "iron", "gold", "silver", "lead", "tin", "titanium", "tungsten", "zinc"]) -> dict[str, Any]:
    """Get the melting point of a metal.

    Args:
        metal: The metal.
    """
    table = {"aluminium": 660.3, "copper": 1084.6, "iron": 1538.0, "gold": 1064.2, "silver": 961.8, "lead": 327.5,
             "tin": 231.9, "titanium": 1668.0, "tungsten": 3422.0, "zinc": 419.5}
    return {"metal": metal, "melting_point_celsius": table[metal]}
