"""xlam.overrides: the one deep merge and dotted-key setter (pipelines and operator use them)."""

from __future__ import annotations

from xlam.overrides import deep_merge, set_dotted


def test_deep_merge_merges_mappings_and_leaves_its_arguments_alone() -> None:
    base = {"optim": {"lr": 1e-4, "max_steps": 10}, "name": "a"}
    extra = {"optim": {"lr": 2e-5}, "data": {"datasets": ["x"]}}
    assert deep_merge(base, extra) == {"optim": {"lr": 2e-5, "max_steps": 10}, "name": "a", "data": {"datasets": ["x"]}}
    assert base == {"optim": {"lr": 1e-4, "max_steps": 10}, "name": "a"}
    assert deep_merge({"a": {"b": 1}}, {"a": 3}) == {"a": 3}


def test_set_dotted_creates_the_path_and_can_keep_what_is_there() -> None:
    doc: dict[str, object] = {"optim": {"micro_batch_size": 4}}
    set_dotted(doc, "optim.micro_batch_size", 8, keep_existing=True)
    set_dotted(doc, "optim.grad_accum", 2, keep_existing=True)
    set_dotted(doc, "model.activation_checkpointing", True)
    assert doc == {"optim": {"micro_batch_size": 4, "grad_accum": 2}, "model": {"activation_checkpointing": True}}
    set_dotted(doc, "optim.micro_batch_size", 8)
    assert doc["optim"] == {"micro_batch_size": 8, "grad_accum": 2}
