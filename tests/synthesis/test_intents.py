"""The catalog's other wordings (xlam/synthesis/intents.json) and ``SynthesisConfig.intent_rate``: requests that
say what they want without repeating their tool's description, still verified, and no change at rate 0."""

from __future__ import annotations

import random
import re
from pathlib import Path

from xlam.datasets.reader import read_records
from xlam.evaluation.overlap import content_words, training_overlap, word_overlap
from xlam.records import Tool
from xlam.synthesis import SynthesisConfig, load_tool_library, run_synthesis
from xlam.synthesis.intents import other_wording, wordings
from xlam.synthesis.phrasing import PLAIN, Voicing, head_of, intent_of


def test_every_catalog_tool_has_other_wordings_in_other_words() -> None:
    library = load_tool_library("default+domains")
    table = wordings()
    assert {e.name for e in library.entries} == set(table)
    shares = []
    for entry in library.entries:
        said = table[entry.name]
        requests = [s for s in said if not s.endswith("?")]
        questions = [s for s in said if s.endswith("?")]
        assert len(requests) >= 3 and questions, entry.name
        for text in said:
            assert not re.search(r"\d", text), (entry.name, text)  # no argument values: the next sentence says them
            shares.append(word_overlap(text, {"name": entry.name, "description": entry.tool.description}))
        assert all(r[:1].islower() and r[-1] not in ".?!" for r in requests), entry.name  # fits "Please {intent}."
        assert all(q[:1].isupper() for q in questions), entry.name
    # what they are for: far fewer of the description's words than the description-built request (all of them)
    assert sum(shares) / len(shares) <= 0.4
    assert sum(s > 0.5 for s in shares) / len(shares) <= 0.2


def test_head_uses_a_wording_or_a_standalone_question() -> None:
    tool = load_tool_library("default").registry.get("square_root").tool
    heads = {head_of(tool, random.Random(seed), "formal", Voicing(intent_rate=1.0)) for seed in range(60)}
    said = wordings()["square_root"]
    questions = [q for q in said if q.endswith("?")]
    assert set(questions) <= heads  # a question is the whole head, no opener around it
    assert all(any(s in h for s in said) for h in heads)
    assert not any(intent_of(tool) in h for h in heads)
    plain = {head_of(tool, random.Random(seed), "formal", PLAIN) for seed in range(20)}
    assert all(intent_of(tool) in h for h in plain)


def test_a_tool_without_wordings_keeps_its_description() -> None:
    tool = Tool(name="not_in_the_catalog", description="Frobnicate the widget.",
                parameters={"type": "object", "properties": {}, "required": []})
    assert other_wording(tool.name, random.Random(0)) is None
    assert "frobnicate the widget" in head_of(tool, random.Random(0), "formal", Voicing(intent_rate=1.0))


def test_intent_rate_lowers_the_overlap_and_keeps_samples_verified(tmp_path: Path) -> None:
    weights = {"simple": 1.0, "parallel": 0.5, "multiple": 0.0, "parallel_multiple": 0.0, "irrelevance": 0.0,
               "missing_parameter": 0.0}
    base = {"n": 120, "seed": 0, "tools": "default+domains", "style_weights": weights}
    plain_report = run_synthesis(None, str(tmp_path / "plain"), SynthesisConfig(**base))
    report = run_synthesis(None, str(tmp_path / "said"), SynthesisConfig(**base, intent_rate=1.0),
                           rejects_uri=str(tmp_path / "rejects"))
    plain = training_overlap(read_records(str(tmp_path / "plain")))
    said = training_overlap(read_records(str(tmp_path / "said")))
    assert plain[-1] >= 0.9 * sum(plain)  # description-built requests repeat >= 40% of its words
    assert said[-1] <= 0.5 * sum(said) and sum(said[:2]) >= 0.2 * sum(said)  # [0, 0.2): a fifth or more
    # the same checks pass about as often: the wordings change the request, not the calls
    assert report.output_records == 120 and report.rejected_records <= plain_report.rejected_records + 12
    records = list(read_records(str(tmp_path / "said")))
    assert len(records) == 120 and all(r.steps[0].tool_calls for r in records)
    table = wordings()
    for record in records:
        names = {c.name for c in record.steps[0].tool_calls}
        original = record.meta.get("original_tool_names", {}) if isinstance(record.meta, dict) else {}
        catalog_names = {original.get(n, n) for n in names}
        query = content_words(record.query)  # (the "typo" template misspells a word or two of the request)
        assert any(any(len(content_words(s) & query) >= 0.6 * len(content_words(s)) for s in table.get(n, ()))
                   for n in catalog_names), record.query
