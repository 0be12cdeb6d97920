"""The three pipelines: ``xlam-data``, ``xlam-synthesis`` and ``xlam-end-to-end``.

``build_pipeline(name, settings)`` returns the decorated pipeline function with the settings applied
to every task. The stage graphs are added by small functions shared by the three pipelines, so the
end-to-end run is one flat DAG in the dashboard.
"""

# (No `from __future__ import annotations`: kfp reads pipeline annotations as types.)

from collections.abc import Callable
from typing import Any

from kfp import dsl
from kfp.dsl import PipelineTask

from pipelines import components as c
from pipelines.settings import PipelineSettings
from pipelines.task_config import configure

PIPELINE_NAMES = ("xlam-data", "xlam-synthesis", "xlam-end-to-end")

# Keys in sorted order: kfp prints defaults in the compiled header, sorted after the first compile.
DEFAULT_SOURCES: list[dict[str, Any]] = [
    {"inputs": ["bfcl://simple_python", "bfcl://multiple", "bfcl://parallel", "bfcl://parallel_multiple",
                "bfcl://irrelevance"], "source": "bfcl"},
]


def _data_stages(
    s: PipelineSettings, sources: Any, num_shards: Any, unify_config: Any, augment_config: Any,
    verify_config: Any, dedup_config: Any,
) -> tuple[PipelineTask, dict[str, Any]]:
    """sources -> unify -> shard -> ParallelFor{augment -> verify} -> Collected -> dedup."""
    with dsl.ParallelFor(sources, parallelism=s.parallelism) as src:
        unify = configure(
            c.unify_op(source=src.source, inputs=src.inputs, config=unify_config), s, display_name="unify"
        )
    shard = configure(
        c.shard_op(unified=dsl.Collected(unify.outputs["out"]), num_shards=num_shards), s, display_name="shard"
    )
    with dsl.ParallelFor(shard.outputs["Output"], parallelism=s.parallelism) as index:
        augment = configure(
            c.augment_op(shards=shard.outputs["out"], index=index, config=augment_config), s,
            display_name="augment",
        )
        verify = configure(
            c.verify_op(data=augment.outputs["out"], index=index, config=verify_config), s, display_name="verify"
        )
    dedup = configure(
        c.dedup_op(data=dsl.Collected(verify.outputs["out"]), config=dedup_config), s, display_name="dedup"
    )
    reports = {
        "unify": dsl.Collected(unify.outputs["Output"]),
        "augment": dsl.Collected(augment.outputs["Output"]),
        "verify": dsl.Collected(verify.outputs["Output"]),
        "dedup": dedup.outputs["Output"],
    }
    return dedup, reports


def _synthesis_stages(
    s: PipelineSettings, tools: Any, num_batches: Any, synthesis_config: Any, verify_config: Any,
    preference_config: Any,
) -> tuple[PipelineTask, PipelineTask, dict[str, Any]]:
    """tool library -> ParallelFor{generate -> verify} -> Collected -> preference."""
    library = configure(c.tools_op(tools=tools, num_batches=num_batches), s, display_name="tool library")
    with dsl.ParallelFor(library.outputs["Output"], parallelism=s.parallelism) as batch:
        generate = configure(
            c.generate_op(tools=library.outputs["out"], batch=batch, num_batches=num_batches,
                          config=synthesis_config),
            s, display_name="generate",
        )
        verify = configure(
            c.verify_op(data=generate.outputs["out"], index=batch, config=verify_config), s,
            display_name="verify synthesized",
        )
    preference = configure(
        c.preference_op(data=dsl.Collected(verify.outputs["out"]), config=preference_config), s,
        display_name="preference pairs",
    )
    reports = {
        "generate": dsl.Collected(generate.outputs["Output"]),
        "verify": dsl.Collected(verify.outputs["Output"]),
        "preference": preference.outputs["Output"],
    }
    return verify, preference, reports


def build_pipeline(name: str, settings: PipelineSettings | None = None) -> Callable[..., Any]:
    """The pipeline function called ``name`` with ``settings`` applied to every task."""
    s = settings or PipelineSettings()
    if name == "xlam-data":
        return _build_data(s)
    if name == "xlam-synthesis":
        return _build_synthesis(s)
    if name == "xlam-end-to-end":
        return _build_end_to_end(s)
    raise ValueError(f"unknown pipeline {name!r}; choose one of {', '.join(PIPELINE_NAMES)}")


def _build_data(s: PipelineSettings) -> Callable[..., Any]:
    @dsl.pipeline(name="xlam-data", description="Unify sources, shard, augment + verify per shard, dedup, mix.")
    def xlam_data(
        sources: list = DEFAULT_SOURCES,
        num_shards: int = 4,
        unify_config: dict = {},  # noqa: B006
        augment_config: dict = {},  # noqa: B006
        verify_config: dict = {},  # noqa: B006
        dedup_config: dict = {},  # noqa: B006
        mix_config: dict = {},  # noqa: B006
    ) -> None:
        dedup, reports = _data_stages(s, sources, num_shards, unify_config, augment_config, verify_config,
                                      dedup_config)
        mix = configure(c.mix_op(data=dedup.outputs["out"], name="agent", config=mix_config), s, display_name="mix")
        configure(c.data_report_op(**reports, mix=mix.outputs["Output"]), s, display_name="report", retry=False)

    return xlam_data


def _build_synthesis(s: PipelineSettings) -> Callable[..., Any]:
    @dsl.pipeline(name="xlam-synthesis", description="APIGen synthesis: tools -> generate + verify -> pairs.")
    def xlam_synthesis(
        tools: str = "default",
        num_batches: int = 4,
        synthesis_config: dict = {"n": 200},  # noqa: B006
        verify_config: dict = {},  # noqa: B006
        preference_config: dict = {},  # noqa: B006
    ) -> None:
        _, _, reports = _synthesis_stages(s, tools, num_batches, synthesis_config, verify_config, preference_config)
        configure(c.synthesis_report_op(**reports), s, display_name="report", retry=False)

    return xlam_synthesis


def _build_end_to_end(s: PipelineSettings) -> Callable[..., Any]:
    @dsl.pipeline(
        name="xlam-end-to-end",
        description="Data -> synthesis -> preference -> SFT+DPO -> BFCL evaluation -> model registration.",
    )
    def xlam_end_to_end(
        sources: list = DEFAULT_SOURCES,
        num_shards: int = 2,
        unify_config: dict = {},  # noqa: B006
        augment_config: dict = {},  # noqa: B006
        verify_config: dict = {},  # noqa: B006
        dedup_config: dict = {},  # noqa: B006
        mix_config: dict = {},  # noqa: B006
        tools: str = "default",
        num_batches: int = 2,
        synthesis_config: dict = {"n": 100},  # noqa: B006
        preference_config: dict = {},  # noqa: B006
        train_config: dict = {"recipe": "tiny-moe"},  # noqa: B006
        launcher: str = "local",
        eval_config: dict = {"categories": ["simple_python", "irrelevance"], "limit": 20},  # noqa: B006
        api_url: str = "",
        project: str = "default",
        model_name: str = "xlam-model",
    ) -> None:
        dedup, data_reports = _data_stages(s, sources, num_shards, unify_config, augment_config, verify_config,
                                           dedup_config)
        synth_verify, preference, synth_reports = _synthesis_stages(
            s, tools, num_batches, synthesis_config, verify_config, preference_config
        )
        synthesized = configure(
            c.dedup_op(data=dsl.Collected(synth_verify.outputs["out"]), config=dedup_config), s,
            display_name="collect synthesized",
        )
        mix = configure(c.mix_op(data=dedup.outputs["out"], name="agent", config=mix_config), s, display_name="mix")
        mix.after(synthesized)
        train = configure(
            c.train_op(sft_data=mix.outputs["out"], preference_data=preference.outputs["out"], config=train_config,
                       launcher=launcher),
            s, display_name="train (SFT + DPO)", resources=s.train_resources, retry=False,
        )
        evaluation = configure(
            c.evaluate_op(model=train.outputs["model"], config=eval_config), s, display_name="evaluate (BFCL)"
        )
        configure(
            c.register_op(model=train.outputs["model"], evaluation=evaluation.outputs["Output"], api_url=api_url,
                          project=project, model_name=model_name),
            s, display_name="register model",
        )
        configure(c.data_report_op(**data_reports, mix=mix.outputs["Output"]), s, display_name="data report",
                  retry=False)
        configure(c.synthesis_report_op(**synth_reports), s, display_name="synthesis report", retry=False)

    return xlam_end_to_end
