"""``MixtureStream``: an exactly resumable, explicitly sharded stream of mixed records.

Every (rank, worker) pair is one stream ``s = rank * num_workers + worker_id`` of
``S = world_size * num_workers``. Each stream reads only its own blocks of every source (see
:mod:`xlam.mixture.source`) and draws its own source sequence from seeds derived from
``(seed, s)``: there is no rank-0 dispatch, and no two streams yield the same record of a source
(unless a source has fewer blocks than streams).

At step ``t`` the source is drawn from the plan's probabilities with a counter-based generator
(chunk ``t // 4096`` seeded by ``(seed, "choice", s, chunk)``); the record is position
``consumed[i] % n_i`` of the source's permutation for epoch ``consumed[i] // n_i`` (seeded by
``(seed, "order", name, s, epoch)``), so a new permutation every epoch. The whole state is
``step`` and ``consumed`` per source: :meth:`state_dict` / :meth:`load_state_dict` resume exactly.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from xlam.mixture.config import MixConfig, MixPlan, make_plan
from xlam.mixture.source import SourceSlice, rng_for, stream_blocks
from xlam.records import Record

STATE_VERSION = 1
CHOICE_CHUNK = 4096


@dataclass(frozen=True)
class MixItem:
    """A yielded record with where it came from."""

    source: str
    epoch: int
    index: int  # record number inside the source (0-based, global)
    record: Record


class MixtureStream:
    """Iterate mixed records for one (rank, worker). Iterating again continues where it stopped."""

    def __init__(
        self,
        config: MixConfig,
        rank: int = 0,
        world_size: int = 1,
        worker_id: int = 0,
        num_workers: int = 1,
        *,
        plan: MixPlan | None = None,
    ) -> None:
        if not 0 <= rank < world_size or not 0 <= worker_id < num_workers:
            raise ValueError(f"bad shard: rank {rank}/{world_size}, worker {worker_id}/{num_workers}")
        self.config = config
        self.rank, self.world_size = rank, world_size
        self.worker_id, self.num_workers = worker_id, num_workers
        self.stream_id = rank * num_workers + worker_id
        self.num_streams = world_size * num_workers
        self.plan = plan or make_plan(config)
        self.names = [s.name for s in self.plan.sources]
        self._probs = np.array(self.plan.probabilities, dtype=np.float64)
        self._probs /= self._probs.sum()
        self.step = 0
        self.consumed = [0] * len(self.names)
        self._slices: list[SourceSlice] | None = None
        self._choice_cache: tuple[int, np.ndarray] | None = None
        self._order_cache: dict[int, tuple[int, np.ndarray]] = {}

    @classmethod
    def for_torch_worker(cls, config: MixConfig, rank: int = 0, world_size: int = 1) -> MixtureStream:
        """The stream of the current ``torch.utils.data`` worker (worker 0 of 1 outside workers)."""
        from torch.utils.data import get_worker_info

        info = get_worker_info()
        return cls(config, rank, world_size, info.id if info else 0, info.num_workers if info else 1)

    # --- data -----------------------------------------------------------------------------------
    @property
    def slices(self) -> list[SourceSlice]:
        """Each source's slice for this stream (read on first use)."""
        if self._slices is None:
            self._slices = [
                SourceSlice(src.uri, src.size, stream_blocks(
                    src.size, self.config.block_size, self.stream_id, self.num_streams, self.config.seed, src.name))
                for src in self.plan.sources
            ]
        return self._slices

    def quotas(self) -> list[int]:
        """Records of each source this stream yields per mixture epoch: slice size x epochs."""
        return [max(1, round(len(sl) * src.epochs)) for sl, src in zip(self.slices, self.plan.sources, strict=True)]

    def _choice(self, step: int) -> int:
        chunk = step // CHOICE_CHUNK
        if self._choice_cache is None or self._choice_cache[0] != chunk:
            rng = rng_for(self.config.seed, "choice", self.stream_id, chunk)
            self._choice_cache = (chunk, rng.choice(len(self.names), size=CHOICE_CHUNK, p=self._probs))
        return int(self._choice_cache[1][step % CHOICE_CHUNK])

    def _order(self, source: int, epoch: int) -> np.ndarray:
        cached = self._order_cache.get(source)
        if cached is None or cached[0] != epoch:
            n = len(self.slices[source])
            if self.config.shuffle:
                order = rng_for(self.config.seed, "order", self.names[source], self.stream_id, epoch).permutation(n)
            else:
                order = np.arange(n)
            cached = self._order_cache[source] = (epoch, order)
        return cached[1]

    def _done(self, quotas: list[int]) -> bool:
        stopping = self.config.stopping
        if stopping == "infinite":
            return False
        reached = [c >= q for c, q in zip(self.consumed, quotas, strict=True)]
        return all(reached) if stopping == "all_exhausted" else any(reached)

    # --- iteration ------------------------------------------------------------------------------
    def items(self) -> Iterator[MixItem]:
        """Yield :class:`MixItem`s until the stopping rule says so (forever with ``infinite``)."""
        quotas = self.quotas()
        slices = self.slices
        while not self._done(quotas):
            i = self._choice(self.step)
            n = len(slices[i])
            epoch, pos = divmod(self.consumed[i], n)
            local = int(self._order(i, epoch)[pos])
            record = slices[i].record(local)
            self.consumed[i] += 1
            self.step += 1
            yield MixItem(self.names[i], epoch, slices[i].global_index[local], record)

    def __iter__(self) -> Iterator[Record]:
        for item in self.items():
            yield item.record

    # --- state ----------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """JSON-serialisable position: step, consumed records and epoch per source, stream identity."""
        sizes = [len(s) for s in self.slices]
        return {
            "version": STATE_VERSION,
            "seed": self.config.seed,
            "stream": {"rank": self.rank, "world_size": self.world_size, "worker_id": self.worker_id,
                       "num_workers": self.num_workers},
            "step": self.step,
            "consumed": dict(zip(self.names, self.consumed, strict=True)),
            "epoch": {name: c // n for name, c, n in zip(self.names, self.consumed, sizes, strict=True)},
            "slice_sizes": dict(zip(self.names, sizes, strict=True)),
            "rng": {"kind": "counter", "chunk": CHOICE_CHUNK},
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue exactly where the stream that wrote ``state`` stopped (same config and shard)."""
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"unsupported mixture state version {state.get('version')!r}")
        mine = {"rank": self.rank, "world_size": self.world_size, "worker_id": self.worker_id,
                "num_workers": self.num_workers}
        if state["stream"] != mine:
            raise ValueError(f"state is for stream {state['stream']}, this stream is {mine}")
        if state["seed"] != self.config.seed or set(state["consumed"]) != set(self.names):
            raise ValueError("state was written for a different mixture (seed or sources differ)")
        sizes = dict(zip(self.names, (len(s) for s in self.slices), strict=True))
        if state.get("slice_sizes", sizes) != sizes:
            raise ValueError(f"source slices changed since the state was saved: {state['slice_sizes']} != {sizes}")
        self.step = int(state["step"])
        self.consumed = [int(state["consumed"][n]) for n in self.names]
