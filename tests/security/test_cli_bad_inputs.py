"""The CLI's bad-input corpus (issue 16): every case exits 2, names the file (and line or field),
and writes nothing. Real commands, real files; the training case stops before Ray starts."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from xlam.cli.main import app


@pytest.fixture()
def corpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XLAM_API_URL", "http://127.0.0.1:9")  # never reached: input is checked first
    monkeypatch.setenv("XLAM_API_TOKEN", "xlam_unused")
    (tmp_path / "empty.jsonl").write_text("")
    (tmp_path / "blank.jsonl").write_text("\n  \n")
    (tmp_path / "adir").mkdir()
    (tmp_path / "bad.yaml").write_text("optim:\n  lr: [1, 2\n")
    (tmp_path / "bin.yaml").write_bytes(bytes(range(256)) * 2)
    (tmp_path / "nul.yaml").write_bytes(b"model:\x00 x\n")
    (tmp_path / "list.yaml").write_text("- a\n- b\n")
    (tmp_path / "empty.yaml").write_text("")
    (tmp_path / "trunc.json").write_text('{"n": 4, "generator": {"backend": ')
    (tmp_path / "missing-ds.yaml").write_text(f"model:\n  recipe: tiny\ndata:\n  datasets: [{tmp_path / 'nope'}]\n")
    (tmp_path / "badlines.jsonl").write_text('{"id": "simple_python_0", "output": "[f()]"}\n{not json\n')
    return tmp_path


CASES: list[tuple[list[str], list[str]]] = [
    # (argv, substrings the message must contain)
    (["data", "unify", "--from", "openai", "--in", "empty.jsonl", "--out", "o"], ["empty.jsonl", "empty"]),
    (["data", "unify", "--from", "openai", "--in", "blank.jsonl", "--out", "o"], ["blank.jsonl", "empty"]),
    (["data", "unify", "--from", "openai", "--in", "adir", "--out", "o"], ["adir", "directory"]),
    (["data", "unify", "--from", "openai", "--in", "missing.jsonl", "--out", "o"], ["missing.jsonl"]),
    (["eval", "score", "--outputs", "empty.jsonl", "--out", "o"], ["empty.jsonl", "empty"]),
    (["eval", "score", "--outputs", "adir", "--out", "o"], ["adir", "directory"]),
    (["eval", "score", "--outputs", "badlines.jsonl", "--out", "o"], ["badlines.jsonl", "line 2"]),
    (["train", "run", "--config", "bad.yaml"], ["bad.yaml", "line 2", "YAML"]),
    (["train", "run", "--config", "bin.yaml"], ["bin.yaml", "not a"]),
    (["train", "run", "--config", "nul.yaml"], ["nul.yaml", "binary"]),
    (["train", "run", "--config", "empty.yaml"], ["empty.yaml", "empty"]),
    (["train", "run", "--config", "list.yaml"], ["list.yaml", "mapping"]),
    (["train", "run", "--config", "missing-ds.yaml"], ["missing-ds.yaml", "data.datasets[0]", "nope"]),
    (["data", "dedup", "x", "--out", "o", "--config", "bin.yaml"], ["bin.yaml"]),
    (["data", "verify", "x", "--out", "o", "--config", "list.yaml"], ["list.yaml", "mapping"]),
    (["data", "augment", "x", "--out", "o", "--config", "bad.yaml"], ["bad.yaml", "line 2"]),
    (["data", "synthesize", "--out", "o", "--config", "trunc.json"], ["trunc.json", "line 1", "JSON"]),
    (["data", "synthesize", "--out", "o", "--config", "bad.yaml"], ["bad.yaml", "line 2"]),
    (["data", "synthesize", "--out", "o", "--config", "adir"], ["adir", "directory"]),
    (["api", "runs", "submit", "synthesis", "missing.yaml", "--project", "p"], ["missing.yaml", "no such file"]),
    (["api", "runs", "submit", "synthesis", "bad.yaml", "--project", "p"], ["bad.yaml", "line 2"]),
    (["api", "runs", "submit", "synthesis", "bin.yaml", "--project", "p"], ["bin.yaml"]),
    (["api", "runs", "submit", "synthesis", "empty.yaml", "--project", "p"], ["empty.yaml", "empty"]),
    (["api", "runs", "submit", "synthesis", "adir", "--project", "p"], ["adir", "directory"]),
    (["api", "datasets", "upload", "d", "adir", "--project", "p"], ["adir", "directory"]),
    (["api", "datasets", "upload", "d", "empty.jsonl", "--project", "p"], ["empty.jsonl", "empty"]),
]


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.mark.parametrize(("argv", "needles"), CASES, ids=[" ".join(c[0][:3]) + " " + c[0][-1] for c in CASES])
def test_bad_input_exits_2_naming_the_file_and_writes_nothing(corpus: Path, argv: list[str], needles: list[str]) -> None:
    before = _tree(corpus)
    result = CliRunner().invoke(app, argv)
    message = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert result.exit_code == 2, (argv, result.exit_code, message, result.exception)
    assert "Traceback" not in message
    for needle in needles:
        assert needle in message, (argv, needle, message)
    assert _tree(corpus) == before, (argv, set(_tree(corpus)) - set(before))


def test_the_corpus_covers_every_reported_command() -> None:
    """The issue's list: unify, eval score, api datasets upload, train run, api runs submit, dedup, synthesize."""
    covered = {" ".join(argv[:2]) if argv[0] != "api" else " ".join(argv[:3]) for argv, _ in CASES}
    assert covered >= {"data unify", "eval score", "api datasets upload", "train run", "api runs submit",
                       "data dedup", "data synthesize"}
