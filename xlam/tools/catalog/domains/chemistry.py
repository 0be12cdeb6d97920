"""Element and compound lookups: a real table of the first 30 elements plus seeded synthetic compound data."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from xlam.tools.catalog.domains._common import Name, record, tool

CATEGORY = "chemistry"

# symbol: (name, atomic number, atomic mass, group, period, category)
_ELEMENTS: dict[str, tuple[str, int, float, int, int, str]] = {
    "H": ("Hydrogen", 1, 1.008, 1, 1, "nonmetal"), "He": ("Helium", 2, 4.0026, 18, 1, "noble gas"),
    "Li": ("Lithium", 3, 6.94, 1, 2, "alkali metal"), "Be": ("Beryllium", 4, 9.0122, 2, 2, "alkaline earth metal"),
    "B": ("Boron", 5, 10.81, 13, 2, "metalloid"), "C": ("Carbon", 6, 12.011, 14, 2, "nonmetal"),
    "N": ("Nitrogen", 7, 14.007, 15, 2, "nonmetal"), "O": ("Oxygen", 8, 15.999, 16, 2, "nonmetal"),
    "F": ("Fluorine", 9, 18.998, 17, 2, "halogen"), "Ne": ("Neon", 10, 20.180, 18, 2, "noble gas"),
    "Na": ("Sodium", 11, 22.990, 1, 3, "alkali metal"), "Mg": ("Magnesium", 12, 24.305, 2, 3, "alkaline earth metal"),
    "Al": ("Aluminium", 13, 26.982, 13, 3, "post-transition metal"), "Si": ("Silicon", 14, 28.085, 14, 3, "metalloid"),
    "P": ("Phosphorus", 15, 30.974, 15, 3, "nonmetal"), "S": ("Sulfur", 16, 32.06, 16, 3, "nonmetal"),
    "Cl": ("Chlorine", 17, 35.45, 17, 3, "halogen"), "Ar": ("Argon", 18, 39.948, 18, 3, "noble gas"),
    "K": ("Potassium", 19, 39.098, 1, 4, "alkali metal"), "Ca": ("Calcium", 20, 40.078, 2, 4, "alkaline earth metal"),
    "Sc": ("Scandium", 21, 44.956, 3, 4, "transition metal"), "Ti": ("Titanium", 22, 47.867, 4, 4, "transition metal"),
    "V": ("Vanadium", 23, 50.942, 5, 4, "transition metal"), "Cr": ("Chromium", 24, 51.996, 6, 4, "transition metal"),
    "Mn": ("Manganese", 25, 54.938, 7, 4, "transition metal"), "Fe": ("Iron", 26, 55.845, 8, 4, "transition metal"),
    "Co": ("Cobalt", 27, 58.933, 9, 4, "transition metal"), "Ni": ("Nickel", 28, 58.693, 10, 4, "transition metal"),
    "Cu": ("Copper", 29, 63.546, 11, 4, "transition metal"), "Zn": ("Zinc", 30, 65.38, 12, 4, "transition metal"),
}
_BY_NAME = {v[0].lower(): k for k, v in _ELEMENTS.items()}
ElementSymbol = Literal["H", "He", "Li", "Be", "B", "C", "N", "O", "F", "Ne", "Na", "Mg", "Al", "Si", "P", "S", "Cl", "Ar",
                        "K", "Ca", "Sc", "Ti", "V", "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Zn"]
AtomicNumber = Annotated[int, Field(ge=1, le=30)]
_SHELLS = ["1s", "2s", "2p", "3s", "3p", "4s", "3d"]
_CAPACITY = {"s": 2, "p": 6, "d": 10}


def _element(name_or_symbol: str) -> str:
    key = name_or_symbol.strip()
    if key in _ELEMENTS:
        return key
    symbol = _BY_NAME.get(key.lower())
    if symbol is None:
        raise ValueError(f"unknown element {name_or_symbol!r} (this table covers hydrogen to zinc)")
    return symbol


def _properties(symbol: str) -> dict[str, Any]:
    name, number, mass, group, period, kind = _ELEMENTS[symbol]
    return {"symbol": symbol, "name": name, "atomic_number": number, "atomic_mass": mass, "group": group,
            "period": period, "category": kind}


@tool
def lookup_element_data(element_name: Name) -> dict[str, Any]:
    """Get the atomic number, mass, group and category of a chemical element.

    Args:
        element_name: The element's name or symbol, e.g. Iron or Fe.
    """
    return _properties(_element(element_name))


@tool
def lookup_element_by_atomic_number(atomic_number: AtomicNumber) -> dict[str, Any]:
    """Look up the chemical element with a given atomic number.

    Args:
        atomic_number: The number of protons.
    """
    symbol = next(s for s, v in _ELEMENTS.items() if v[1] == atomic_number)
    return _properties(symbol)


@tool
def list_elements_in_group(group_number: Annotated[int, Field(ge=1, le=18)]) -> dict[str, Any]:
    """List the elements of a periodic-table group.

    Args:
        group_number: The group (column) number, 1 to 18.
    """
    members = [v[0] for v in _ELEMENTS.values() if v[3] == group_number]
    return {"group_number": group_number, "elements": members}


@tool
def get_electron_configuration(element_symbol: ElementSymbol) -> dict[str, Any]:
    """Get the ground-state electron configuration of an element.

    Args:
        element_symbol: The element's symbol.
    """
    left = _ELEMENTS[element_symbol][1]
    parts = []
    for shell in _SHELLS:
        if left <= 0:
            break
        take = min(left, _CAPACITY[shell[-1]])
        parts.append(f"{shell}{take}")
        left -= take
    return {"element_symbol": element_symbol, "configuration": " ".join(parts)}


@tool
def get_element_isotopes(element_symbol: ElementSymbol, stable_only: bool = False) -> dict[str, Any]:
    """List known isotopes of an element.

    Args:
        element_symbol: The element's symbol.
        stable_only: Only include stable isotopes.
    """
    number = _ELEMENTS[element_symbol][1]
    mass = round(_ELEMENTS[element_symbol][2])
    isotopes = [{"mass_number": m, "stable": abs(m - mass) <= 1} for m in range(max(number, mass - 2), mass + 3)]
    if stable_only:
        isotopes = [i for i in isotopes if i["stable"]]
    return {"element_symbol": element_symbol, "isotopes": isotopes}


@tool
def get_compound_formula(compound_name: Name) -> dict[str, Any]:
    """Get the chemical formula and molar mass of a compound.

    Args:
        compound_name: The compound's common or IUPAC name.
    """
    return record("get_compound_formula", locals(), formula=("pick", ["C6H12O6", "NaHCO3", "CH3COOH", "C2H5OH", "H2SO4",
                                                                       "CaCO3", "NH3", "C8H10N4O2"]),
                  molar_mass=("float", 17, 400))


@tool
def get_boiling_point(compound_name: Name, pressure_kpa: Annotated[float, Field(gt=0, le=10_000)] = 101.325) -> dict[str, Any]:
    """Get the boiling point of a compound at a pressure.

    Args:
        compound_name: The compound.
        pressure_kpa: The ambient pressure in kilopascals.
    """
    if not 0 < pressure_kpa <= 10_000:
        raise ValueError(f"pressure_kpa must be in (0, 10000], got {pressure_kpa}")
    return record("get_boiling_point", locals(), boiling_point_celsius=("float", -190, 450))


@tool
def check_chemical_compatibility(compound_a: Name, compound_b: Name) -> dict[str, Any]:
    """Check whether two chemicals can be safely stored or mixed together.

    Args:
        compound_a: The first chemical.
        compound_b: The second chemical.
    """
    if compound_a.strip().lower() == compound_b.strip().lower():
        raise ValueError("compound_a and compound_b must differ")
    return record("check_chemical_compatibility", locals(), compatible=("bool", 0.6),
                  hazard=("pick", ["none", "heat release", "toxic gas", "fire risk", "corrosion"]))


@tool
def get_safety_data_sheet(compound_name: Name) -> dict[str, Any]:
    """Get the hazard summary from a chemical's safety data sheet.

    Args:
        compound_name: The chemical.
    """
    hazards = ["flammable", "corrosive", "irritant", "toxic if swallowed", "oxidizer", "harmful to aquatic life"]
    return record("get_safety_data_sheet", locals(), hazards=("some", hazards, 2),
                  signal_word=("pick", ["Warning", "Danger"]), flash_point_celsius=("int", -40, 250))


@tool
def get_solubility(compound_name: Name, solvent: Literal["water", "ethanol", "acetone", "hexane", "methanol"] = "water",
                   temperature_celsius: Annotated[float, Field(ge=-50, le=300)] = 25.0) -> dict[str, Any]:
    """Get how much of a compound dissolves in a solvent at a temperature.

    Args:
        compound_name: The solute.
        solvent: The solvent.
        temperature_celsius: The temperature in degrees Celsius.
    """
    if not -50 <= temperature_celsius <= 300:
        raise ValueError(f"temperature_celsius must be between -50 and 300, got {temperature_celsius}")
    return record("get_solubility", locals(), grams_per_100ml=("float", 0, 250))


@tool
def get_ionization_energy(element_symbol: ElementSymbol, order: Literal[1, 2, 3] = 1) -> dict[str, Any]:
    """Get the ionization energy of an element.

    Args:
        element_symbol: The element's symbol.
        order: First, second or third ionization energy.
    """
    number = _ELEMENTS[element_symbol][1]
    if order > number:
        raise ValueError(f"{element_symbol} has only {number} electron(s); no ionization number {order}")
    return record("get_ionization_energy", locals(), kj_per_mol=("float", 400 * order, 2500 * order))


@tool
def get_ph_of_solution(compound_name: Name, concentration_molar: Annotated[float, Field(gt=0, le=20)]) -> dict[str, Any]:
    """Get the pH of a solution of a compound at a concentration.

    Args:
        compound_name: The dissolved compound.
        concentration_molar: The concentration in mol/L.
    """
    if not 0 < concentration_molar <= 20:
        raise ValueError(f"concentration_molar must be in (0, 20], got {concentration_molar}")
    return record("get_ph_of_solution", locals(), ph=("float", 0.5, 13.5))
