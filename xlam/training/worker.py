"""``python -m xlam.training.worker CONFIG.json|yaml``: one worker under torchrun or the deepspeed launcher."""

from __future__ import annotations

import sys

from xlam.training.config import load_train_config
from xlam.training.loop import train_loop_per_worker


def main(argv: list[str]) -> None:
    args = [a for a in argv if not a.startswith("--local_rank")]  # the deepspeed launcher adds --local_rank
    if len(args) != 1:
        raise SystemExit("usage: python -m xlam.training.worker CONFIG")
    train_loop_per_worker(load_train_config(args[0]).model_dump(mode="json"))


if __name__ == "__main__":
    main(sys.argv[1:])
