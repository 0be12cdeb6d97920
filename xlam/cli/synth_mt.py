"""``xlam data synthesize-mt`` (APIGen-MT multi-turn synthesis) and ``xlam data verify-mt`` (replay check).

Bad input (a malformed environment config, a blueprint whose calls fail, a record with a broken
turn) exits with code 2 naming the file, record and turn; nothing is written.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from xlam.cli.errors import bad_input_exits, fail
from xlam.cli.groups import data_app
from xlam.cli.synth import generator_from_flags


def _load(path: str | None, what: str = "config") -> dict[str, Any]:
    from xlam.cli.errors import read_config_file

    return read_config_file(path, what=what) if path else {}


@data_app.command("synthesize-mt")
def synthesize_mt_cmd(
    out: Annotated[str, typer.Option("--out", help="Output dataset URI of verified multi-turn dialogues.")],
    n: Annotated[int, typer.Option("--n", help="Verified dialogues to produce.")] = 100,
    envs: Annotated[str, typer.Option("--envs", help="Comma-separated environments "
                                                      "(filesystem,retail,calendar,bank).")] = "",
    generator: Annotated[str, typer.Option("--generator", help="template | hf | openai (LLM rephrases user turns).")]
    = "template",
    model: Annotated[str | None, typer.Option("--model", help="hf: smol/.gguf/checkpoint; openai: model name.")] = None,
    base_url: Annotated[str | None, typer.Option("--base-url", help="openai: endpoint, e.g. http://host:8000/v1.")]
    = None,
    min_turns: Annotated[int | None, typer.Option("--min-turns", help="Fewest goal turns per dialogue.")] = None,
    max_turns: Annotated[int | None, typer.Option("--max-turns", help="Most goal turns per dialogue.")] = None,
    mixed_rate: Annotated[float | None, typer.Option("--mixed-rate", help="Chance a dialogue combines two "
                                                                         "environments (0-1; default 0).")] = None,
    distractors: Annotated[int | None, typer.Option(
        "--distractor-environments", help="Further environments whose whole tool sets are offered but never "
                                          "needed (0-3; default 0), as BFCL offers whole API classes.")] = None,
    rejects: Annotated[str | None, typer.Option("--rejects", help="Dataset URI for rejected blueprints/dialogues.")]
    = None,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    report: Annotated[str | None, typer.Option("--report", help="Directory for the report (JSON, MD, PNGs).")] = None,
    config: Annotated[str | None, typer.Option("--config", help="JSON/YAML file of MultiTurnConfig fields.")] = None,
    env_config: Annotated[str | None, typer.Option("--env-config", help="JSON/YAML: {env: {weight, initial_state}}.")]
    = None,
    blueprints: Annotated[str | None, typer.Option("--blueprints", help="JSONL of given task blueprints "
                                                                        "(phase 2 only; every one must pass).")] = None,
    variants: Annotated[int, typer.Option("--variants", help="Dialogues per given blueprint.")] = 1,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace existing output datasets.")] = False,
) -> None:
    """Synthesize verified multi-turn dialogues over executable environments (APIGen-MT)."""
    from xlam.synthesis.multi_turn import (
        MultiTurnConfig,
        funnel_table,
        load_blueprints,
        run_multi_turn_synthesis,
    )

    with bad_input_exits():
        fields = _load(config)
        fields.update({"n": n, "seed": seed})
        if envs:
            fields["environments"] = [e.strip() for e in envs.split(",") if e.strip()]
        if min_turns is not None:
            fields["min_turns"] = min_turns
        if max_turns is not None:
            fields["max_turns"] = max_turns
        if mixed_rate is not None:
            fields["mixed_rate"] = mixed_rate
        if distractors is not None:
            fields["distractor_environments"] = distractors
        if env_config:
            fields["environment_configs"] = _load(env_config, "environment config")
        fields["generator"] = generator_from_flags(fields, generator, seed, model, base_url)
        cfg = MultiTurnConfig(**fields)
        given = load_blueprints(blueprints) if blueprints else None
        if variants < 1:
            raise ValueError("--variants must be >= 1")
        result = run_multi_turn_synthesis(out, cfg, rejects_uri=rejects, report_dir=report, overwrite=overwrite,
                                          blueprints=given, variants=variants)
    typer.echo(funnel_table(result))
    typer.echo(f"wrote {result.output_records} verified dialogues to {out} ({result.seconds:.1f}s)")


@data_app.command("verify-mt")
def verify_mt_cmd(
    inputs: Annotated[list[str], typer.Argument(help="Dataset URI(s) or JSONL file(s) of multi-turn records.")],
) -> None:
    """Replay multi-turn records against their environments (format, grounding, replay); exit 2 on the
    first record that fails, naming its file, line and step."""
    from pathlib import Path

    from xlam.converters.base import iter_json_items
    from xlam.datasets import DatasetReader
    from xlam.errors import RecordError
    from xlam.records import Record
    from xlam.synthesis.multi_turn import check_trajectory

    checked = 0
    with bad_input_exits():
        for uri in inputs:
            if Path(uri).is_file():
                items = ((item.path, item.line, item.value) for item in iter_json_items(uri))
            else:
                items = ((uri, i, d) for i, d in enumerate(DatasetReader(uri).iter_dicts(), 1))
            for path, line, raw in items:
                try:
                    record = Record.model_validate(raw)
                except Exception as exc:  # pydantic error with the field path
                    from pydantic import ValidationError

                    if isinstance(exc, ValidationError):
                        err = exc.errors()[0]
                        raise RecordError(path, line, ".".join(str(p) for p in err["loc"]), err["msg"]) from exc
                    raise
                outcome = check_trajectory(record)
                if not outcome.ok:
                    reason = outcome.reasons[0]
                    step = reason.rsplit("@step", 1)[1].split(":")[0] if "@step" in reason else None
                    field = f"steps[{int(step) - 1}]" if step and step.isdigit() else "steps"
                    raise RecordError(path, line, field, f"{outcome.failed_stage}: {'; '.join(outcome.reasons[:3])}")
                checked += 1
    if not checked:
        fail("no records to verify")
    typer.echo(f"{checked} multi-turn records replay to their final states")


__all__ = ["synthesize_mt_cmd", "verify_mt_cmd"]
