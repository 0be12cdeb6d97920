"""Thin kfp v2 lightweight components, one per stage. Each body only calls ``pipelines.steps``.

Components run in the project image (``install_kfp_package=False``, no ``packages_to_install``):
nothing is fetched at run time. (No ``from __future__ import annotations``: kfp reads the
annotations as types.) Under kfp's local ``SubprocessRunner(use_venv=False)`` they run in
the current environment, where the project is installed.
"""


from kfp import dsl
from kfp.dsl import Artifact, Dataset, Input, Markdown, Metrics, Model, Output

from pipelines.settings import DEFAULT_IMAGE

component = dsl.component(base_image=DEFAULT_IMAGE, install_kfp_package=False)


# --- data --------------------------------------------------------------------------------------
@component
def unify_op(
    source: str, inputs: list, config: dict, out: Output[Dataset], metrics: Output[Metrics], report: Output[Markdown]
) -> str:
    """Convert one source format into unified records."""
    from pipelines import steps

    rep = steps.unify(source, inputs, config, out.path)
    steps.emit(rep, metrics, report)
    return steps.report_json(rep)


@component
def shard_op(
    unified: Input[list[Dataset]], num_shards: int, out: Output[Dataset], metrics: Output[Metrics],
    report: Output[Markdown],
) -> list:
    """Concatenate unified sources and split them into shards; returns the shard indices.

    (A single list output: kfp's local runner cannot iterate over one field of a NamedTuple output.)
    """
    from pipelines import steps

    rep, indices = steps.shard([d.path for d in unified], num_shards, out.path)
    steps.emit(rep, metrics, report)
    return indices


@component
def augment_op(
    shards: Input[Dataset], index: int, config: dict, out: Output[Dataset], metrics: Output[Metrics],
    report: Output[Markdown],
) -> str:
    """Prompt-format and instruction-following augmentation of one shard."""
    from pipelines import steps

    rep = steps.augment(shards.path, index, config, out.path)
    steps.emit(rep, metrics, report, shard=index)
    return steps.report_json(rep)


@component
def verify_op(
    data: Input[Dataset], index: int, config: dict, out: Output[Dataset], rejects: Output[Dataset],
    metrics: Output[Metrics], report: Output[Markdown],
) -> str:
    """Rule, execution and semantic verification of one shard (or batch)."""
    from pipelines import steps

    rep = steps.verify(data.path, index, config, out.path, rejects.path)
    steps.emit(rep, metrics, report, shard=index)
    return steps.report_json(rep)


@component
def dedup_op(
    data: Input[list[Dataset]], config: dict, out: Output[Dataset], metrics: Output[Metrics],
    report: Output[Markdown],
) -> str:
    """Exact and near-duplicate removal over the collected shards."""
    from pipelines import steps

    rep = steps.dedup([d.path for d in data], config, out.path)
    steps.emit(rep, metrics, report)
    return steps.report_json(rep)


@component
def mix_op(
    data: Input[Dataset], name: str, config: dict, out: Output[Dataset], metrics: Output[Metrics],
    report: Output[Markdown],
) -> str:
    """Balanced mixture of the deduplicated data with the sources named in ``config``."""
    from pipelines import steps

    rep = steps.mix({name: data.path}, config, out.path)
    steps.emit(rep, metrics, report)
    return steps.report_json(rep)


@component
def data_report_op(
    unify: list, augment: list, verify: list, dedup: str, mix: str, funnel: Output[Markdown],
    metrics: Output[Metrics],
) -> str:
    """The data funnel of every stage (summed over shards) as Markdown for the dashboard."""
    from pipelines import steps

    return steps.write_funnel("xlam-data funnel", [*unify, *augment, *verify, dedup, mix], funnel, metrics)


@component
def synthesis_report_op(
    generate: list, verify: list, preference: str, funnel: Output[Markdown], metrics: Output[Metrics]
) -> str:
    """The synthesis funnel (generation checks, re-verification, pairs) as Markdown."""
    from pipelines import steps

    return steps.write_funnel("xlam-synthesis funnel", [*generate, *verify, preference], funnel, metrics)


# --- synthesis ---------------------------------------------------------------------------------
@component
def tools_op(tools: str, num_batches: int, out: Output[Artifact], metrics: Output[Metrics]) -> list:
    """Build the executable tool library (``default``, a module path or an OpenAPI file); returns batch indices."""
    from pipelines import steps_synthesis

    rep, batches = steps_synthesis.tool_library(tools, num_batches, out.path)
    metrics.log_metric("tools", rep.output_records)
    for category, count in rep.groups.get("tools_by_category", {}).items():
        metrics.log_metric(f"tools.{category}", count)
    return batches


@component
def generate_op(
    tools: Input[Artifact], batch: int, num_batches: int, config: dict, out: Output[Dataset],
    rejects: Output[Dataset], metrics: Output[Metrics], report: Output[Markdown],
) -> str:
    """APIGen-style generation of one batch, checked format -> execution -> semantic."""
    from pipelines import steps, steps_synthesis

    rep = steps_synthesis.generate(tools.path, batch, num_batches, config, out.path, rejects.path)
    steps.emit(rep, metrics, report, shard=batch)
    return steps.report_json(rep)


@component
def preference_op(
    data: Input[list[Dataset]], config: dict, out: Output[Dataset], metrics: Output[Metrics],
    report: Output[Markdown],
) -> str:
    """Chosen/rejected pairs from verified samples (labelled corruptions, failed generations)."""
    from pipelines import steps, steps_synthesis

    rep = steps_synthesis.preference([d.path for d in data], config, out.path)
    steps.emit(rep, metrics, report)
    return steps.report_json(rep)


# --- training, evaluation, registration --------------------------------------------------------
@component
def train_op(
    sft_data: Input[Dataset], preference_data: Input[Dataset], config: dict, launcher: str,
    model: Output[Model], metrics: Output[Metrics], report: Output[Markdown],
) -> str:
    """Launch SFT then DPO (a RayJob on a cluster, local Ray under the local runner) and wait."""
    from pipelines import steps_model

    summary = steps_model.train(sft_data.path, preference_data.path, config, launcher, model.path)
    steps_model.emit_training(summary, model, metrics, report)
    return summary.model_dump_json()


@component
def evaluate_op(
    model: Input[Model], config: dict, results: Output[Artifact], metrics: Output[Metrics],
    report: Output[Markdown],
) -> str:
    """BFCL AST scoring of the trained model."""
    from pipelines import steps_model

    summary = steps_model.evaluate(model.path, config, results.path)
    steps_model.emit_summary(summary, metrics, report, title="BFCL evaluation")
    return summary.model_dump_json()


@component
def register_op(model: Input[Model], evaluation: str, api_url: str, project: str, model_name: str) -> str:
    """Register the model version (with lineage and metrics) in the control plane, if one is set."""
    from pipelines import steps_model

    return steps_model.register(model.path, model.uri, evaluation, api_url, project, model_name)
