"""Species, plants, genes, anatomy and breeds over seeded synthetic reference data."""

from __future__ import annotations

from typing import Any, Literal

from xlam.tools.catalog.domains._common import Count, Name, listing, record, tool

CATEGORY = "biology"

_ORGANELLES = {
    "nucleus": "stores the cell's DNA and controls gene expression",
    "mitochondrion": "produces ATP through cellular respiration",
    "ribosome": "translates messenger RNA into proteins",
    "chloroplast": "carries out photosynthesis",
    "golgi apparatus": "modifies, sorts and packages proteins",
    "lysosome": "breaks down waste with digestive enzymes",
    "endoplasmic reticulum": "synthesises proteins and lipids",
    "cell membrane": "controls what enters and leaves the cell",
}


@tool
def get_species_info(species_name: Name) -> dict[str, Any]:
    """Get the habitat, diet and conservation status of a species.

    Args:
        species_name: The common or scientific name of the species.
    """
    return record("get_species_info", locals(), habitat=("pick", ["forest", "savanna", "wetland", "ocean", "desert", "tundra"]),
                  diet=("pick", ["herbivore", "carnivore", "omnivore", "insectivore"]),
                  status=("pick", ["least concern", "near threatened", "vulnerable", "endangered", "critically endangered"]))


@tool
def get_animal_lifespan(animal_name: Name, setting: Literal["wild", "captivity"] = "wild") -> dict[str, Any]:
    """Get the typical lifespan of an animal.

    Args:
        animal_name: The animal.
        setting: In the wild or in captivity.
    """
    return record("get_animal_lifespan", locals(), average_years=("float", 0.5, 80), maximum_years=("int", 2, 120))


@tool
def get_plant_care_guide(plant_name: Name, climate: Literal["indoor", "temperate", "tropical", "arid"] = "indoor") -> dict[str, Any]:
    """Get watering, light and soil advice for a plant.

    Args:
        plant_name: The plant.
        climate: Where the plant grows.
    """
    return record("get_plant_care_guide", locals(), water_every_days=("int", 2, 21),
                  light=("pick", ["full sun", "partial shade", "bright indirect", "low light"]),
                  soil=("pick", ["well-draining", "loamy", "sandy", "peaty"]), toxic_to_pets=("bool", 0.3))


@tool
def get_gene_function(gene_symbol: Name, organism: Literal["human", "mouse", "zebrafish", "fruit fly", "yeast"] = "human") -> dict[str, Any]:
    """Get the function and chromosome location of a gene.

    Args:
        gene_symbol: The gene's symbol, e.g. TP53.
        organism: The organism.
    """
    roles = ["DNA repair", "cell cycle control", "signal transduction", "metabolism", "immune response", "transcription"]
    return record("get_gene_function", locals(), chromosome=("int", 1, 22), function=("pick", roles),
                  protein_length_aa=("int", 80, 3000))


@tool
def get_species_range(species_name: Name) -> dict[str, Any]:
    """Get the continents and countries where a species lives.

    Args:
        species_name: The species.
    """
    continents = ["Africa", "Asia", "Europe", "North America", "South America", "Oceania", "Antarctica"]
    return record("get_species_range", locals(), continents=("some", continents, 2), range_km2=("int", 100, 20_000_000))


@tool
def list_endangered_species(country: Name, taxon: Literal["mammals", "birds", "reptiles", "amphibians", "fish", "plants", "all"] = "all",
                            limit: Count = 5) -> dict[str, Any]:
    """List endangered species found in a country.

    Args:
        country: The country.
        taxon: The group of organisms.
        limit: The most species to return.
    """
    names = ["snow leopard", "hawksbill turtle", "golden frog", "red wolf", "kakapo", "pangolin", "saola", "vaquita",
             "axolotl", "mountain gorilla"]
    return record("list_endangered_species", locals(), species=("some", names, limit))


@tool
def get_taxonomy(species_name: Name) -> dict[str, Any]:
    """Get the taxonomic classification of a species.

    Args:
        species_name: The species.
    """
    return record("get_taxonomy", locals(), kingdom=("pick", ["Animalia", "Plantae", "Fungi"]),
                  phylum=("pick", ["Chordata", "Arthropoda", "Mollusca", "Tracheophyta"]),
                  family=("pick", ["Felidae", "Canidae", "Rosaceae", "Hominidae", "Accipitridae", "Fagaceae"]))


@tool
def get_bird_migration_pattern(bird_species: Name) -> dict[str, Any]:
    """Get the migration route and timing of a bird species.

    Args:
        bird_species: The bird species.
    """
    return record("get_bird_migration_pattern", locals(), migrates=("bool", 0.75), distance_km=("int", 0, 18000),
                  departs_month=("int", 8, 11), returns_month=("int", 3, 5))


@tool
def get_organelle_function(organelle: Literal["nucleus", "mitochondrion", "ribosome", "chloroplast", "golgi apparatus",
                                              "lysosome", "endoplasmic reticulum", "cell membrane"]) -> dict[str, Any]:
    """Explain what a cell organelle does.

    Args:
        organelle: The organelle.
    """
    return {"organelle": organelle, "function": _ORGANELLES[organelle],
            "in_plant_cells": True, "in_animal_cells": organelle != "chloroplast"}


@tool
def identify_tree_by_leaf(leaf_shape: Literal["needle", "oval", "lobed", "palmate", "heart", "lance"],
                          leaf_edge: Literal["smooth", "toothed", "wavy"] = "smooth", region: Name = "Europe") -> list[dict[str, Any]]:
    """Identify likely tree species from the shape and edge of a leaf.

    Args:
        leaf_shape: The leaf's outline.
        leaf_edge: The leaf's margin.
        region: Where the tree grows.
    """
    trees = ["oak", "maple", "birch", "beech", "linden", "ash", "pine", "spruce", "willow", "chestnut"]
    return listing("identify_tree_by_leaf", locals(), 3, tree=("pick", trees), confidence=("float", 0.2, 0.95))


@tool
def get_dog_breed_traits(dog_breed: Name) -> dict[str, Any]:
    """Get the size, temperament and exercise needs of a dog breed.

    Args:
        dog_breed: The breed.
    """
    return record("get_dog_breed_traits", locals(), size=("pick", ["small", "medium", "large", "giant"]),
                  energy=("pick", ["low", "moderate", "high"]), good_with_children=("bool", 0.7),
                  lifespan_years=("int", 8, 16))


@tool
def get_human_body_system_info(body_system: Literal["circulatory", "respiratory", "digestive", "nervous", "skeletal",
                                                    "muscular", "immune", "endocrine"]) -> dict[str, Any]:
    """Get the main organs and role of a human body system.

    Args:
        body_system: The body system.
    """
    organs = {"circulatory": ["heart", "arteries", "veins"], "respiratory": ["lungs", "trachea", "diaphragm"],
              "digestive": ["stomach", "intestines", "liver"], "nervous": ["brain", "spinal cord", "nerves"],
              "skeletal": ["bones", "cartilage", "ligaments"], "muscular": ["skeletal muscle", "smooth muscle", "tendons"],
              "immune": ["lymph nodes", "spleen", "thymus"], "endocrine": ["thyroid", "pancreas", "adrenal glands"]}
    return {"body_system": body_system, "organs": organs[body_system]}
