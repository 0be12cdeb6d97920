"""Losses: token cross-entropy (SFT), sigmoid DPO, and MoE router statistics.

All functions work on packed batches (see :mod:`xlam.training.packing`): ``targets`` are shifted per
document and ``IGNORE`` where no loss applies, ``doc_ids`` index documents within a row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from xlam.training.kernels import router_stats
from xlam.training.tokenization import IGNORE

__all__ = ["DPOOutput", "doc_logps", "dpo_loss", "pair_logps", "router_stats", "router_stats_reference",
           "sft_loss", "sft_loss_sum", "token_logps"]


def token_logps(logits: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-token log-prob of the target (0 where ignored) and the target mask, both [B, S]."""
    mask = targets != IGNORE
    nll = F.cross_entropy(
        logits.float().reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=IGNORE, reduction="none"
    ).view_as(targets)
    return -nll, mask


def sft_loss_sum(logits: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, int]:
    """Sum of target-token NLL and the number of target tokens (normalise by the global count)."""
    logp, mask = token_logps(logits, targets)
    return -(logp * mask).sum(), int(mask.sum())


def sft_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Sum of target-token NLL (a device tensor; no host sync)."""
    logp, mask = token_logps(logits, targets)
    return -(logp * mask).sum()


def doc_logps(logits: torch.Tensor, targets: torch.Tensor, doc_ids: torch.Tensor, docs_per_row: int) -> torch.Tensor:
    """Summed target log-prob of every document, [B, docs_per_row] (0 for absent documents)."""
    logp, mask = token_logps(logits, targets)
    index = doc_ids.clamp(min=0)
    out = torch.zeros(targets.shape[0], docs_per_row, dtype=logp.dtype, device=logp.device)
    return out.scatter_add(1, index, logp * mask)


@dataclass
class DPOOutput:
    loss: torch.Tensor
    """Summed over pairs (normalise by the global number of pairs)."""
    chosen_rewards: torch.Tensor
    rejected_rewards: torch.Tensor

    @property
    def margins(self) -> torch.Tensor:
        return self.chosen_rewards - self.rejected_rewards


def dpo_loss(
    policy_chosen: torch.Tensor,
    policy_rejected: torch.Tensor,
    ref_chosen: torch.Tensor,
    ref_rejected: torch.Tensor,
    *,
    beta: float,
    label_smoothing: float = 0.0,
) -> DPOOutput:
    """Sigmoid DPO (Rafailov et al. 2023), with optional conservative label smoothing."""
    chosen = policy_chosen - ref_chosen
    rejected = policy_rejected - ref_rejected
    z = beta * (chosen - rejected)
    losses = -F.logsigmoid(z) * (1 - label_smoothing) - F.logsigmoid(-z) * label_smoothing
    return DPOOutput(losses.sum(), beta * chosen.detach(), beta * rejected.detach())


def pair_logps(
    logits: torch.Tensor, batch: dict[str, torch.Tensor], docs_per_row: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(chosen, rejected, valid) per pair slot [B, docs_per_row // 2]: docs 2k and 2k+1 form pair k."""
    per_doc = doc_logps(logits, batch["targets"], batch["doc_ids"], docs_per_row)
    present = torch.zeros_like(per_doc, dtype=torch.bool).scatter(1, batch["doc_ids"].clamp(min=0), batch["token_mask"])
    return per_doc[:, 0::2], per_doc[:, 1::2], present[:, 0::2] & present[:, 1::2]


def router_stats_reference(
    router_logits: tuple[torch.Tensor, ...], num_experts: int, top_k: int, token_mask: torch.Tensor
) -> dict[str, Any]:
    """The earlier router statistics (transformers' ``load_balancing_loss_func`` plus a per-layer
    loop with boolean indexing and ``bincount``, which wait for the device): the reference that
    :func:`router_stats` is tested against and the benchmark's baseline step uses."""
    from transformers.models.mixtral.modeling_mixtral import load_balancing_loss_func

    mask = token_mask.reshape(-1)
    aux = load_balancing_loss_func(router_logits, num_experts, top_k, token_mask.to(torch.long))  # type: ignore[arg-type]
    with torch.no_grad():
        counts = torch.zeros(num_experts, device=mask.device)
        entropy = torch.zeros((), device=mask.device)
        for layer in router_logits:
            probs = layer.float().softmax(-1)[mask]
            top = probs.topk(top_k, dim=-1).indices.reshape(-1)
            counts += torch.bincount(top, minlength=num_experts).float()
            entropy += -(probs * probs.clamp_min(1e-12).log()).sum(-1).mean()
        entropy = entropy / max(len(router_logits), 1)
    return {"aux_loss": aux, "expert_counts": counts, "router_entropy": entropy}
