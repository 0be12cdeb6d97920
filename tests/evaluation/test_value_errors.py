"""Wrong string arguments by kind (xlam.evaluation.value_errors), on BFCL's own questions and possible answers:
the wrong values below are what run 10's models wrote for those items."""

from __future__ import annotations

from xlam.bfcl.data import load_entries
from xlam.evaluation.value_errors import classify, kind_counts, query_text, repeated_call_items, string_errors


def _item(entry_id: str, calls: list[dict]) -> dict:
    return {"id": entry_id, "category": entry_id.rsplit("_", 1)[0], "decoded": calls, "valid": False}


def test_each_kind_on_bfcl_items() -> None:
    questions, answers = load_entries(["simple_python", "multiple"])
    items = [
        _item("simple_python_273", [{"museum.get_hours": {"name": "Louvre", "location": "Paris"}}]),
        _item("simple_python_200", [{"calculate_emissions": {"distance": 12000, "fuel_type": "gas-fueled"}}]),
        _item("simple_python_247", [{"historical_contrib.get_contrib": {"scientist": "Albert Einstein",
                                                                        "date": "March 17, 1915"}}]),
        _item("simple_python_85", [{"geo_distance.calculate": {"start_location": "Boston",
                                                               "end_location": "Washington, D.C."}}]),
        # the right value in another spelling BFCL's standardization accepts: no error
        _item("simple_python_392", [{"latest_exchange_rate": {"source_currency": "british pounds",
                                                              "target_currency": "JPY"}}]),
        # the wrong function: a wrong call, not a wrong value
        _item("simple_python_279", [{"instrument_price": {"finish": "Rosewood Finish"}}]),
    ]
    errors = string_errors(items, questions, answers)
    assert [(e.id, e.parameter, e.got, e.kind) for e in errors] == [
        ("simple_python_273", "name", "Louvre", "under_span"),
        ("simple_python_200", "fuel_type", "gas-fueled", "over_span"),
        ("simple_python_247", "date", "March 17, 1915", "date"),
        ("simple_python_85", "start_location", "Boston", "city_state"),
    ]
    assert errors[0].expected == ("Louvre Museum",)
    counts = kind_counts(errors)
    assert counts["all"] == 4 and counts["other_span"] == counts["not_in_query"] == 0
    assert list(counts) == ["date", "city_state", "code", "over_span", "under_span", "other_span", "not_in_query", "all"]
    assert "Louvre" in query_text(questions["simple_python_273"])


def test_the_rest_of_the_request_and_words_it_lacks() -> None:
    query = "Convert 150 Euros to Canadian dollars."
    assert classify("to_currency", "Canadian dollars", ["CAD"], query) == "code"
    assert classify("to_currency", "CAN", ["CAD"], query) == "not_in_query"  # "Canadian" is another word
    assert classify("material", "Italy", ["Marble"], "a marble statue in Italy") == "other_span"
    # a city alone is a city_state error only where every possible value names the state
    assert classify("location", "Boston", ["Boston, MA", "Boston"], "in Boston") == "under_span"


def test_answers_that_repeat_a_call() -> None:
    call = {"calculate_em_force": {"b_field": 5, "area": 2, "d_time": 10}}
    items = [{"id": "parallel_1", "category": "parallel", "decoded": [call, dict(call)]},
             {"id": "parallel_2", "category": "parallel", "decoded": [call]},
             {"id": "parallel_multiple_3", "category": "parallel_multiple", "decoded": None}]
    assert repeated_call_items(items) == {"parallel": 1}


def test_optional_arguments_left_out_by_kind() -> None:
    from xlam.evaluation.value_errors import left_out_optionals

    questions, answers = load_entries(["simple_python"])
    items = [
        _item("simple_python_101", [{"calculate_speed": {"distance": 450, "time": 20}}]),  # "in km/h"
        _item("simple_python_68", [{"forest_growth_forecast": {"location": "Yellowstone National Park",
                                                              "years": 5}}]),  # "including human impact"
        _item("simple_python_227", [{"get_personality_traits": {"type": "ENFJ"}}]),  # "strength and weakness"
        _item("simple_python_228", [{"get_personality_traits": {"hobby": "jogging"}}]),  # "three"
        # a required argument left out is not an optional one; the right answer leaves nothing out
        _item("simple_python_101", [{"calculate_speed": {"time": 20, "to_unit": "km/h"}}]),
        _item("simple_python_68", [{"forest_growth_forecast": {"location": "Yellowstone National Park", "years": 5,
                                                              "include_human_impact": True}}]),
        # another function: not counted (a wrong call)
        _item("simple_python_227", [{"get_traits": {"type": "ENFJ"}}]),
    ]
    left = left_out_optionals(items, questions, answers)
    assert [(x.id, x.parameter, x.kind) for x in left] == [
        ("simple_python_101", "to_unit", "said"),
        ("simple_python_68", "include_human_impact", "flag"),
        ("simple_python_227", "traits", "implied"),
        ("simple_python_228", "trait_count", "implied"),
    ]
    assert left[0].expected == ("km/h",)
