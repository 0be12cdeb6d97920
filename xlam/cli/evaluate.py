"""``xlam eval`` commands: ``bfcl`` (generate and score), ``score`` (score outputs produced elsewhere)
and ``compare`` (two runs, e.g. before/after training).

Bad input exits with code 2 and prints the file, line, field and reason.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Literal

import typer

from xlam.cli.errors import bad_input_exits, require_file
from xlam.cli.groups import eval_app


def register(app: typer.Typer) -> None:
    """Commands are attached to ``eval_app`` at import time; nothing else to add."""




@contextmanager
def _output_dir(uri: str) -> Iterator[Path]:
    """A local directory for ``uri``: the path itself, or a temp dir uploaded with fsspec afterwards."""
    if "://" not in uri or uri.startswith("file://"):
        path = Path(uri.removeprefix("file://"))
        created = not path.exists()
        path.mkdir(parents=True, exist_ok=True)
        try:
            yield path
        except BaseException:
            if created:  # bad input found while working: leave nothing behind
                shutil.rmtree(path, ignore_errors=True)
            raise
        return
    import fsspec

    with tempfile.TemporaryDirectory(prefix="xlam-eval-") as tmp:
        yield Path(tmp)
        fs, root = fsspec.core.url_to_fs(uri)
        fs.put(str(tmp) + "/", root, recursive=True)


def _print_result(result: object) -> None:
    from xlam.evaluation.results import EvalResult

    assert isinstance(result, EvalResult)
    for cat, c in result.categories.items():
        typer.echo(f"{cat:24s} {c.correct:5d}/{c.total:<5d} {100 * c.accuracy:6.2f}%")
    for s in result.summaries:
        if s.value is not None:
            typer.echo(f"[{s.name}]{' (partial)' if not s.complete else ''}: {100 * s.value:.2f}%")


@eval_app.command("bfcl")
def bfcl(
    model: Annotated[str, typer.Option(help="Checkpoint dir, .gguf file, 'smol', or a recipe name (openai: model name).")] = "smol",
    categories: Annotated[list[str] | None, typer.Option("--categories", "-c", help="Categories or groups (non_live, live, single_turn, python, multi_turn, memory, v4, format_sensitivity); repeatable or comma-separated.")] = None,
    limit: Annotated[int | None, typer.Option(help="Items per category (first N).")] = None,
    out: Annotated[str, typer.Option(help="Output directory or fsspec URI.")] = "runs/eval",
    backend: Annotated[str, typer.Option(help="hf (local transformers) or openai (OpenAI-compatible endpoint).")] = "hf",
    base_url: Annotated[str | None, typer.Option(help="openai: endpoint, e.g. http://127.0.0.1:8000/v1.")] = None,
    mode: Annotated[str, typer.Option(help="prompt (BFCL system prompt, Python calls) or native (tools via chat template/API).")] = "prompt",
    max_tokens: Annotated[int, typer.Option(help="Most new tokens per answer.")] = 256,
    call_bias: Annotated[float, typer.Option(help="prompt mode, hf: added to the call list's '[' logit at the first answer token (> 0 calls more often; xlam.evaluation.call_bias fits one).")] = 0.0,
    batch_size: Annotated[int, typer.Option(help="hf: prompts per generation batch.")] = 8,
    device: Annotated[str, typer.Option(help="hf: torch device.")] = "cpu",
    concurrency: Annotated[int, typer.Option(help="openai: requests in flight.")] = 8,
    underscore_to_dot: Annotated[bool, typer.Option(help="native: send dotted names as a_b and map back.")] = False,
    resume: Annotated[bool, typer.Option(help="Continue an interrupted run in the same --out directory.")] = False,
    label: Annotated[str | None, typer.Option(help="Run name in reports.")] = None,
) -> None:
    """Generate answers for BFCL categories and score them (results.jsonl, summary.json, report.md, accuracy.png;
    multi-turn/memory also trajectories.jsonl)."""
    from xlam.evaluation import EvalConfig, run_bfcl_eval
    from xlam.evaluation.multi_turn import is_multi_turn_name, run_multi_turn_eval
    from xlam.generators import GeneratorConfig

    with bad_input_exits():
        cats = [c.strip() for item in (categories or ["non_live"]) for c in item.split(",") if c.strip()]
        # v4: every category of BFCL v4's overall that can run here
        cats = [g for c in cats for g in (["single_turn", "multi_turn", "memory"] if c == "v4" else [c])]
        multi = [c for c in cats if is_multi_turn_name(c)]
        format_sensitivity = "format_sensitivity" in cats
        cats = [c for c in cats if c not in multi and c != "format_sensitivity"]
        if not cats and not multi and not format_sensitivity:
            raise ValueError("--categories names no category")
        if mode not in ("prompt", "native"):
            raise ValueError(f"--mode must be prompt or native, not {mode!r}")
        prompt_mode: Literal["native", "prompt"] = "native" if mode == "native" else "prompt"
        if backend not in ("hf", "openai"):
            raise ValueError(f"--backend must be hf or openai, not {backend!r}")
        gen = GeneratorConfig(
            backend="openai" if backend == "openai" else "hf", model=model if backend == "openai" else None,
            base_url=base_url, batch_size=batch_size, device=device, max_concurrency=concurrency,
        )
        config = EvalConfig(model=model, generator=gen, categories=cats, limit=limit, prompt_mode=prompt_mode,
                            max_tokens=max_tokens, underscore_to_dot=underscore_to_dot, label=label,
                            call_bias=call_bias)
        with _output_dir(out) as local:
            if cats:
                result = run_bfcl_eval(config, local, resume=resume)
            if multi:
                result = run_multi_turn_eval(config, multi, local, resume=resume, keep_other_results=bool(cats))
            if format_sensitivity:
                from xlam.evaluation.format_sensitivity import run_format_sensitivity_eval

                result = run_format_sensitivity_eval(config, local, resume=resume, keep_other_results=bool(cats or multi))
    _print_result(result)
    typer.echo(f"report: {out}/report.md")


@eval_app.command("score")
def score(
    outputs: Annotated[Path, typer.Option(help="JSON lines {'id', 'output'} with raw model text.")],
    out: Annotated[str, typer.Option(help="Output directory or fsspec URI (results.jsonl, summary.json, report.md).")],
    category: Annotated[str | None, typer.Option(help="BFCL category (default: from each id).")] = None,
    mode: Annotated[str, typer.Option(help="prompt: BFCL's Python-call decoder; native: any supported format / tool_calls.")] = "prompt",
    name: Annotated[str | None, typer.Option(help="Run name in reports.")] = None,
) -> None:
    """Score outputs produced elsewhere (e.g. a vLLM deployment) with BFCL's rules."""
    from xlam.evaluation import score_outputs_file
    from xlam.evaluation.multi_turn_rescoring import is_trajectory_file, score_trajectories_file

    require_file(outputs, what="outputs")
    with bad_input_exits():
        if mode not in ("prompt", "native"):
            raise ValueError(f"--mode must be prompt or native, not {mode!r}")
        with _output_dir(out) as local:
            from xlam.evaluation.format_sensitivity import (
                is_format_sensitivity_file,
                score_format_sensitivity_file,
            )

            if is_trajectory_file(outputs):  # multi-turn/memory trajectories: each line carries its mode
                result = score_trajectories_file(outputs, local, name=name)
            elif is_format_sensitivity_file(outputs):
                result = score_format_sensitivity_file(outputs, local, name=name)
            else:
                result = score_outputs_file(outputs, local, category=category, mode="native" if mode == "native" else "prompt", name=name)
    _print_result(result)


@eval_app.command("compare")
def compare(
    a: Annotated[str, typer.Argument(help="Baseline run directory.")],
    b: Annotated[str, typer.Argument(help="New run directory.")],
    out: Annotated[str, typer.Option(help="Output directory (compare.md, compare.json, compare.png).")] = "runs/compare",
) -> None:
    """Compare two runs: per-category and summary deltas, fixed/broken items, grouped bar chart."""
    from xlam.evaluation import compare_results

    with bad_input_exits(), _output_dir(out) as local:
        comparison = compare_results(a, b, local)
    for d in comparison.categories:
        delta = "n/a" if d.delta is None else f"{100 * d.delta:+.2f}pp"
        typer.echo(f"{d.category:24s} {delta:>10s}  fixed {d.fixed}  broken {d.broken}")


@eval_app.command("fit-call-bias")
def fit_call_bias_command(
    model: Annotated[str, typer.Option(help="Checkpoint dir, .gguf file, 'smol', or a recipe name (hf backend).")],
    synthesis: Annotated[str, typer.Option(help="The model's data recipe: a SynthesisConfig YAML/JSON file; held-out samples "
                                                "are drawn from it at --seed (use another seed than training's).")],
    seed: Annotated[int, typer.Option(help="Seed of the held-out samples.")] = 100_003,
    n: Annotated[int, typer.Option(help="Held-out samples (call and irrelevance styles of the recipe).")] = 400,
    out: Annotated[str, typer.Option(help="Directory for the held-out samples and call_bias.json.")] = "runs/call-bias",
    device: Annotated[str, typer.Option(help="hf: torch device.")] = "cpu",
    as_trained: Annotated[bool, typer.Option(help="Word the held-out requests as the recipe does (default: as people "
                                                  "word them, xlam.evaluation.call_bias.NATURAL_PHRASING).")] = False,
) -> None:
    """Fit the call bias (``xlam eval bfcl --call-bias``) of a model on held-out synthetic samples of its recipe:
    the bias on the call list's first token with the best balanced accuracy of calling call samples and replying
    to irrelevance samples (xlam.evaluation.call_bias)."""
    from xlam.cli.errors import read_config_file
    from xlam.evaluation.call_bias import NATURAL_PHRASING, fit_held_out
    from xlam.evaluation.config import EvalConfig
    from xlam.evaluation.generation import make_generator
    from xlam.generators import GeneratorConfig
    from xlam.synthesis import SynthesisConfig

    fields = read_config_file(synthesis, what="synthesis config")
    with bad_input_exits():
        recipe = {**fields, **({} if as_trained else NATURAL_PHRASING), "seed": seed, "n": n}
        SynthesisConfig.model_validate(recipe)  # a bad recipe exits 2 before the model loads
        generator = make_generator(EvalConfig(model=model, generator=GeneratorConfig(backend="hf", device=device)))
        fit = fit_held_out(generator, recipe, Path(out) / "held-out", Path(out) / "call_bias.json")
    typer.echo(f"call bias {fit.bias:+.3f}: held-out call rate {fit.call_rate_before:.3f} -> {fit.call_rate_after:.3f}, "
               f"reply rate {fit.reply_rate_before:.3f} -> {fit.reply_rate_after:.3f} ({fit.calls} call, "
               f"{fit.replies} irrelevance samples); use: xlam eval bfcl --call-bias {fit.bias}")
