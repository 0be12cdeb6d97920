"""Doctors, appointments, medications, symptoms and fitness over seeded synthetic data (not medical advice)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from xlam.tools.catalog.domains._common import Date, Name, Names, Time, listing, record, rng_for, tool

CATEGORY = "health"

Specialty = Literal["general practice", "dermatology", "cardiology", "pediatrics", "orthopedics", "dentistry",
                    "ophthalmology", "psychiatry", "gynecology"]
Age = Annotated[int, Field(ge=0, le=120)]


@tool
def find_doctors(city: Name, specialty: Specialty, accepts_new_patients: bool = True) -> list[dict[str, Any]]:
    """Find doctors of a specialty in a city.

    Args:
        city: The city.
        specialty: The medical specialty.
        accepts_new_patients: Only doctors taking new patients.
    """
    return listing("find_doctors", locals(), 3, doctor=("pick", ["Dr. Amy Lin", "Dr. Raj Mehta", "Dr. Sara Cole",
                                                              "Dr. Tom Berg", "Dr. Ana Ruiz"]),
                   rating=("rating", 3.5), next_available=("date", "2026-01-05", 40))


@tool
def book_doctor_appointment(doctor_name: Name, appointment_date: Date, appointment_time: Time, patient_name: Name,
                            visit_type: Literal["in person", "video"] = "in person") -> dict[str, Any]:
    """Book an appointment with a doctor.

    Args:
        doctor_name: The doctor.
        appointment_date: The day (YYYY-MM-DD).
        appointment_time: The time (HH:MM).
        patient_name: The patient's full name.
        visit_type: In person or by video.
    """
    return record("book_doctor_appointment", locals(), appointment_id=("code", "APT"), status=("const", "booked"))


@tool
def check_drug_interactions(medications: Annotated[list[Name], Field(min_length=2, max_length=8)]) -> dict[str, Any]:
    """Check a list of medications for known interactions.

    Args:
        medications: The medications taken together.
    """
    if len(medications) < 2:
        raise ValueError("give at least two medications to check for interactions")
    rng = rng_for("check_drug_interactions", sorted(m.lower() for m in medications))
    pairs = [(a, b) for i, a in enumerate(medications) for b in medications[i + 1:]]
    found = [{"pair": [a, b], "severity": rng.choice(["minor", "moderate", "major"])} for a, b in pairs if rng.random() < 0.3]
    return {"medications": medications, "interactions": found}


@tool
def get_medication_info(medication_name: Name) -> dict[str, Any]:
    """Get the uses, usual dose and common side effects of a medication.

    Args:
        medication_name: The medication.
    """
    effects = ["nausea", "headache", "drowsiness", "dizziness", "dry mouth", "rash", "insomnia"]
    return record("get_medication_info", locals(), drug_class=("pick", ["analgesic", "antibiotic", "antihistamine",
                                                                        "statin", "antidepressant", "beta blocker"]),
                  usual_dose_mg=("pick", [5, 10, 20, 50, 200, 400, 500]), side_effects=("some", effects, 3),
                  prescription_required=("bool", 0.6))


@tool
def get_symptom_guidance(symptoms: Names, age: Age) -> dict[str, Any]:
    """Suggest possible causes and urgency for a set of symptoms.

    Args:
        symptoms: The symptoms.
        age: The patient's age in years.
    """
    causes = ["common cold", "influenza", "migraine", "allergy", "dehydration", "muscle strain", "gastroenteritis"]
    return record("get_symptom_guidance", locals(), possible_causes=("some", causes, 3),
                  urgency=("pick", ["self-care", "see a doctor", "urgent care"]))


@tool
def find_pharmacies(city: Name, open_24_hours: bool = False) -> list[dict[str, Any]]:
    """Find pharmacies in a city.

    Args:
        city: The city.
        open_24_hours: Only pharmacies open around the clock.
    """
    return listing("find_pharmacies", locals(), 3, pharmacy=("pick", ["CarePlus", "MediMart", "Green Cross", "HealthHub"]),
                   distance_km=("float", 0.1, 6), closes=("const", "24h") if open_24_hours else ("time", 18, 22))


@tool
def get_vaccination_schedule(age_years: Age, country: Name = "United States") -> dict[str, Any]:
    """Get the vaccines recommended at an age.

    Args:
        age_years: The person's age in years.
        country: The country whose schedule to use.
    """
    vaccines = ["influenza", "tetanus booster", "MMR", "HPV", "hepatitis B", "pneumococcal", "shingles", "COVID-19"]
    return record("get_vaccination_schedule", locals(), recommended=("some", vaccines, 3))


@tool
def estimate_daily_calorie_needs(age: Age, weight_kg: Annotated[float, Field(ge=20, le=400)], height_cm: Annotated[float, Field(ge=80, le=250)], sex: Literal["female", "male"],
                                 activity_level: Literal["sedentary", "light", "moderate", "active", "very active"] = "moderate") -> dict[str, Any]:
    """Estimate daily calorie needs from age, weight, height, sex and activity (Mifflin-St Jeor).

    Args:
        age: The age in years.
        weight_kg: The body weight in kilograms.
        height_cm: The height in centimetres.
        sex: The sex used by the formula.
        activity_level: How active the person is.
    """
    if not 20 <= weight_kg <= 400:
        raise ValueError(f"weight_kg must be between 20 and 400, got {weight_kg}")
    if not 80 <= height_cm <= 250:
        raise ValueError(f"height_cm must be between 80 and 250, got {height_cm}")
    bmr = 10 * weight_kg + 6.25 * height_cm - 5 * age + (5 if sex == "male" else -161)
    factor = {"sedentary": 1.2, "light": 1.375, "moderate": 1.55, "active": 1.725, "very active": 1.9}[activity_level]
    return {"bmr": round(bmr), "daily_calories": round(bmr * factor)}


@tool
def get_hospital_wait_times(city: Name, department: Literal["emergency", "urgent care", "radiology", "outpatient"] = "emergency") -> list[dict[str, Any]]:
    """Get current waiting times at hospitals in a city.

    Args:
        city: The city.
        department: The hospital department.
    """
    return listing("get_hospital_wait_times", locals(), 3, hospital=("pick", [f"{city} General", f"St. Mary's {city}",
                                                                           f"{city} University Hospital"]),
                   wait_minutes=("int", 5, 300))


@tool
def find_clinical_trials(condition_name: Name, country: Name, recruiting_only: bool = True) -> list[dict[str, Any]]:
    """Find clinical trials for a medical condition in a country.

    Args:
        condition_name: The medical condition.
        country: The country.
        recruiting_only: Only trials still recruiting.
    """
    return listing("find_clinical_trials", locals(), 3, trial_id=("code", "NCT"), phase=("pick", ["I", "II", "III", "IV"]),
                   participants=("int", 20, 3000))


@tool
def get_condition_overview(condition_name: Name) -> dict[str, Any]:
    """Get an overview of a medical condition: symptoms, causes and treatments.

    Args:
        condition_name: The condition.
    """
    symptoms = ["fatigue", "fever", "joint pain", "shortness of breath", "rash", "headache", "weight loss"]
    treatments = ["rest", "medication", "physical therapy", "surgery", "diet changes", "counselling"]
    return record("get_condition_overview", locals(), symptoms=("some", symptoms, 3), treatments=("some", treatments, 2),
                  contagious=("bool", 0.3))


@tool
def find_fitness_classes(city: Name, class_type: Literal["yoga", "pilates", "spinning", "crossfit", "zumba", "boxing", "swimming"],
                         date: Date) -> list[dict[str, Any]]:
    """Find fitness classes of a type in a city on a date.

    Args:
        city: The city.
        class_type: The kind of class.
        date: The day (YYYY-MM-DD).
    """
    return listing("find_fitness_classes", locals(), 3, studio=("pick", ["CoreFit", "Pulse Studio", "Zen Loft", "Iron Works"]),
                   starts=("time", 6, 20), price=("money", 8, 35), spots_left=("int", 0, 20))
