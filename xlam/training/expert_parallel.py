"""Expert parallelism for Mixtral-style MoE blocks: experts sharded over ranks, tokens moved by all-to-all.

``distributed.expert_parallel: N`` splits the world into groups of ``N`` consecutive ranks. In every
MoE layer each rank of a group keeps ``E / N`` whole experts (contiguous: rank ``i`` holds experts
``i*E/N .. (i+1)*E/N - 1``) and the router stays replicated. Per layer and micro-batch
(:class:`ShardedExperts`, a drop-in for transformers' ``MixtralExperts``: same parameter names,
same ``forward(hidden, top_k_index, top_k_weights)``):

1. sort the (token, slot) pairs by expert; exchange the per-expert counts (one small all-to-all);
2. all-to-all the token activations to the ranks that own their experts
   (``torch.distributed.nn.functional.all_to_all_single``: differentiable, the backward is the
   reverse all-to-all);
3. regroup the received rows by local expert and run the experts as grouped GEMMs
   (``torch._grouped_mm`` on CUDA, a loop over the local experts elsewhere);
4. all-to-all the outputs back, unsort, weight by the router's top-k weights and sum the slots
   (in fp32, as transformers' grouped_mm path).

Gradients: the expert parameters are rank-local (DDP ignores them); the all-to-all backward brings
every rank's contribution to the owner, so the engine only sums them over the ranks holding the
same experts (the "replica group", when ``world > N``) and divides by the world size like DDP's
average (:class:`xlam.training.engine.TorchEngine`). The data-parallel layout and the loss
normalisation are unchanged, so the loss equals the non-EP run's (test: CPU, gloo, 2 processes).

Checkpoints: every rank saves its own engine state (its experts); export gathers the experts of
every rank into the full parameters (:meth:`ExpertParallel.gather_full_state`).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.distributed as dist


def _a2a(x: torch.Tensor, out_splits: list[int], in_splits: list[int], group: Any) -> torch.Tensor:
    from torch.distributed.nn.functional import all_to_all_single

    out = x.new_empty((sum(out_splits), *x.shape[1:]))
    return all_to_all_single(out, x.contiguous(), out_splits, in_splits, group=group)  # type: ignore[no-any-return,no-untyped-call]


class ShardedExperts(torch.nn.Module):
    """This rank's ``local`` experts of one MoE layer (experts ``first .. first+local-1`` of ``total``)."""

    def __init__(self, experts: Any, first: int, local: int, total: int, group: Any, ep: int) -> None:
        super().__init__()
        self.num_experts = total
        self.local = local
        self.first = first
        self.ep = ep
        self.group = group
        self.act_fn: Any = experts.act_fn
        self.gate_up_proj = torch.nn.Parameter(experts.gate_up_proj.data[first:first + local].clone())
        self.down_proj = torch.nn.Parameter(experts.down_proj.data[first:first + local].clone())

    def _experts(self, x: torch.Tensor, counts: torch.Tensor, counts_host: list[int]) -> torch.Tensor:
        """Grouped SwiGLU experts over rows ``x`` sorted by local expert (``counts`` rows each)."""
        if x.is_cuda and hasattr(torch, "_grouped_mm") and x.shape[0] > 0:
            offs = torch.cumsum(counts, 0, dtype=torch.int32)
            w1 = self.gate_up_proj
            gate_up = torch._grouped_mm(x.to(w1.dtype), w1.transpose(-2, -1), offs=offs)
            gate, up = gate_up.chunk(2, dim=-1)
            return torch._grouped_mm(self.act_fn(gate) * up, self.down_proj.transpose(-2, -1), offs=offs)
        outs = []
        start = 0
        for e, n in enumerate(counts_host):
            rows = x[start:start + n]
            start += n
            gate, up = torch.nn.functional.linear(rows, self.gate_up_proj[e]).chunk(2, dim=-1)
            outs.append(torch.nn.functional.linear(self.act_fn(gate) * up, self.down_proj[e]))
        return torch.cat(outs) if outs else x.new_zeros((0, self.down_proj.shape[1]))

    def forward(self, hidden_states: torch.Tensor, top_k_index: torch.Tensor, top_k_weights: torch.Tensor) -> torch.Tensor:
        tokens, k = top_k_index.shape
        ids = top_k_index.reshape(-1)
        order = torch.argsort(ids, stable=True)
        x = hidden_states[order // k]  # (token, slot) pairs sorted by global expert = by owner rank
        counts = torch.bincount(ids, minlength=self.num_experts)
        recv_counts = torch.empty_like(counts)
        dist.all_to_all_single(recv_counts, counts, group=self.group)  # [src rank, local expert]
        both = torch.stack([counts.view(self.ep, self.local).sum(1), recv_counts.view(self.ep, self.local).sum(1)])
        send_splits, recv_splits = both.tolist()  # the split sizes must be on the host
        matrix = recv_counts.view(self.ep, self.local)
        received = _a2a(x, recv_splits, send_splits, self.group)  # grouped by source, then local expert
        local_ids = torch.repeat_interleave(
            torch.arange(self.local, device=ids.device).repeat(self.ep), matrix.reshape(-1))
        by_expert = torch.argsort(local_ids, stable=True)
        per_expert = matrix.sum(0)
        y = self._experts(received[by_expert], per_expert, per_expert.tolist() if not received.is_cuda else [])
        y = y[torch.argsort(by_expert)]  # back to source order
        back = _a2a(y, send_splits, recv_splits, self.group)  # my pairs, sorted by expert
        out = back[torch.argsort(order)].view(tokens, k, -1)
        weighted = out * top_k_weights.unsqueeze(-1)  # fp32 router weights: fp32 accumulation
        return weighted.sum(1).to(hidden_states.dtype)


class ExpertParallel:
    """Shards every MoE layer of ``model`` over expert-parallel groups of ``size`` ranks (in place)."""

    def __init__(self, model: torch.nn.Module, size: int) -> None:
        world, rank = dist.get_world_size(), dist.get_rank()
        if world % size:
            raise ValueError(f"expert_parallel {size} does not divide the world size {world}")
        self.size = size
        self.group: Any = None
        self.replica_group: Any = None
        for g in range(world // size):  # every rank creates every group, in the same order
            ranks = list(range(g * size, (g + 1) * size))
            handle = dist.new_group(ranks)
            if rank in ranks:
                self.group = handle
        if world > size:
            for i in range(size):
                ranks = list(range(i, world, size))
                handle = dist.new_group(ranks)
                if rank in ranks:
                    self.replica_group = handle
        self.ep_rank = rank % size
        self.param_names: set[str] = set()
        self.layers: list[tuple[str, ShardedExperts]] = []
        targets = [(name, module) for name, module in model.named_modules()
                   if hasattr(module, "gate_up_proj") and hasattr(module, "down_proj")
                   and module.gate_up_proj.ndim == 3]
        if not targets:
            raise ValueError("expert_parallel > 1 needs a model with MoE experts (gate_up_proj/down_proj)")
        for name, module in targets:
            total = int(module.gate_up_proj.shape[0])
            if total % size:
                raise ValueError(f"expert_parallel {size} does not divide the {total} experts of {name}")
            local = total // size
            sharded = ShardedExperts(module, self.ep_rank * local, local, total, self.group, size)
            parent_name, _, attr = name.rpartition(".")
            setattr(model.get_submodule(parent_name) if parent_name else model, attr, sharded)
            self.layers.append((name, sharded))
            self.param_names.update({f"{name}.gate_up_proj", f"{name}.down_proj"})

    def gather_full_state(self, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """``state`` (this rank's weights by name, experts local) with every expert tensor replaced
        by the concatenation over the EP group (a collective: every rank of the group calls it)."""
        out = dict(state)
        for name in sorted(self.param_names):
            local = state[name].contiguous()
            parts = [torch.empty_like(local) for _ in range(self.size)]
            dist.all_gather(parts, local, group=self.group)
            out[name] = torch.cat(parts)
        return out
