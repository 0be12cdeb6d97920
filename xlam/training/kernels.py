"""Fast paths of the training step (issue 19), each exact against the plain path it replaces.

- :func:`varlen_attention_forward`: attention over packed documents with the flash kernel's
  variable-length mode (``cu_seqlens`` from the position ids; no [S, S] mask is built and no work
  is spent on masked blocks). Registered with transformers as ``attn_implementation="xlam_varlen"``.
  On CPU (tests) and for dtypes flash does not take it runs SDPA per document: the same function.
- :func:`linear_cross_entropy`: the LM head and the token cross-entropy in chunks of tokens, the
  gradient computed chunk by chunk in the forward (no [tokens, vocab] fp32 logits kept for the
  backward, no recomputation). :class:`FusedCEHead` swaps it into a model's ``lm_head``.
- :func:`router_stats`: router load-balancing loss, per-expert counts and entropy in one batched
  pass over all layers, on the device, without host synchronisation.
- :func:`adamw_master_update`: one fused elementwise AdamW update of flat fp32 master weights from
  flat bf16 gradients that also writes the bf16 weights (compiled into one kernel on CUDA).
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import torch
import torch.nn.functional as F

from xlam.training.tokenization import IGNORE

VARLEN = "xlam_varlen"


# --- varlen attention for packed documents ----------------------------------------------------
def cu_seqlens(position_ids: torch.Tensor) -> tuple[torch.Tensor, int]:
    """Document boundaries of a packed [B, S] batch, rows flattened: int32 cumulative starts
    ``[0, s1, ..., B*S]`` and the longest document (a document starts where its position is 0;
    every row starts a document). Computed on the CPU tensor before transfer: no device sync."""
    flat = position_ids.reshape(-1).cpu()
    starts = torch.nonzero(flat == 0).flatten()
    if starts.numel() == 0 or int(starts[0]) != 0:
        starts = torch.cat([torch.zeros(1, dtype=starts.dtype), starts])
    cu = torch.cat([starts, torch.tensor([flat.numel()])]).to(torch.int32)
    return cu, int((cu[1:] - cu[:-1]).max())


class _FlashVarlen(torch.autograd.Function):
    """Causal flash attention over documents given by ``cu`` (query/key/value [T, H, D])."""

    @staticmethod
    def forward(ctx: Any, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, cu: torch.Tensor,
                max_len: int, scale: float) -> torch.Tensor:
        out, lse, rng, unused, _ = torch.ops.aten._flash_attention_forward(
            q, k, v, cu, cu, max_len, max_len, 0.0, True, False, scale=scale)
        ctx.save_for_backward(q, k, v, out, lse, cu)
        ctx.extra = (rng, unused, max_len, scale)
        return out  # type: ignore[no-any-return]

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> Any:
        q, k, v, out, lse, cu = ctx.saved_tensors
        rng, unused, max_len, scale = ctx.extra
        dq, dk, dv = torch.ops.aten._flash_attention_backward(
            grad.contiguous(), q, k, v, out, lse, cu, cu, max_len, max_len, 0.0, True, rng, unused, scale=scale)
        return dq, dk, dv, None, None, None


def _per_document_sdpa(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, cu: torch.Tensor,
                       scale: float) -> torch.Tensor:
    bounds = cu.tolist()
    outs = []
    for s, e in itertools.pairwise(bounds):
        qd, kd, vd = (x[s:e].transpose(0, 1).unsqueeze(0) for x in (q, k, v))  # [1, H, L, D]
        o = F.scaled_dot_product_attention(qd, kd, vd, is_causal=True, scale=scale, enable_gqa=True)
        outs.append(o[0].transpose(0, 1))
    return torch.cat(outs)


def varlen_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, cu: torch.Tensor, max_len: int,
                     scale: float) -> torch.Tensor:
    """Causal attention within documents; q [T, Hq, D], k/v [T, Hkv, D] (GQA: Hkv divides Hq)."""
    if q.is_cuda and q.dtype in (torch.bfloat16, torch.float16):
        return _FlashVarlen.apply(q, k, v, cu.to(q.device, non_blocking=True), max_len, scale)  # type: ignore[no-any-return,no-untyped-call]
    return _per_document_sdpa(q, k, v, cu, scale)


def varlen_attention_forward(module: torch.nn.Module, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                             attention_mask: torch.Tensor | None, dropout: float = 0.0,
                             scaling: float | None = None, sliding_window: int | None = None,
                             **kwargs: Any) -> tuple[torch.Tensor, None]:
    """transformers attention function (``AttentionInterface``): [B, H, S, D] in, [B, S, H, D] out.
    Needs ``xlam_cu_seqlens``/``xlam_max_seqlen`` in the model call's kwargs."""
    cu = kwargs.get("xlam_cu_seqlens")
    if cu is None:
        raise ValueError("attn_implementation 'xlam_varlen' needs xlam_cu_seqlens/xlam_max_seqlen in the forward call")
    max_len = int(kwargs["xlam_max_seqlen"])
    if sliding_window is not None and sliding_window < max_len:
        raise ValueError(f"xlam_varlen does not implement sliding windows ({sliding_window} < document {max_len})")
    b, h, s, d = query.shape
    scale = scaling if scaling is not None else 1.0 / math.sqrt(d)

    def flat(x: torch.Tensor) -> torch.Tensor:
        return x.transpose(1, 2).reshape(b * s, x.shape[1], d)

    out = varlen_attention(flat(query), flat(key), flat(value), cu, max_len, scale)
    return out.view(b, s, h, d), None


def register_varlen_attention() -> str:
    """Register ``xlam_varlen`` with transformers (idempotent); returns the name."""
    from transformers import AttentionInterface

    AttentionInterface.register(VARLEN, varlen_attention_forward)
    return VARLEN


def use_varlen_attention(model: torch.nn.Module) -> None:
    """Switch ``model`` (and its sub-configs) to ``xlam_varlen``."""
    register_varlen_attention()
    setter = getattr(model, "set_attn_implementation", None)
    if setter is not None:
        setter(VARLEN)
    else:  # older transformers
        for module in model.modules():
            config = getattr(module, "config", None)
            if config is not None and hasattr(config, "_attn_implementation"):
                config._attn_implementation = VARLEN


# --- fused linear + cross-entropy --------------------------------------------------------------
class _LinearCE(torch.autograd.Function):
    """Sum over tokens of CE(hidden @ weight.T, targets); gradients computed in the forward."""

    @staticmethod
    def forward(ctx: Any, hidden: torch.Tensor, weight: torch.Tensor, targets: torch.Tensor, chunk: int,
                need_h: bool, need_w: bool) -> torch.Tensor:
        n = hidden.shape[0]
        total = torch.zeros((), dtype=torch.float32, device=hidden.device)
        gh = torch.empty_like(hidden) if need_h else None
        gw = torch.zeros(weight.shape, dtype=torch.float32, device=weight.device) if need_w else None
        for s in range(0, n, chunk):
            h = hidden[s:s + chunk]
            t = targets[s:s + chunk]
            valid = t != IGNORE
            safe = t.clamp(min=0)
            logits = (h @ weight.t()).float()  # [c, V]: the only fp32 logits alive at a time
            lse = torch.logsumexp(logits, dim=-1)
            picked = logits.gather(1, safe.unsqueeze(1)).squeeze(1)
            total += ((lse - picked) * valid).sum()
            if gh is None and gw is None:
                continue
            # d(sum NLL)/d logits = softmax - onehot(target), zero on ignored tokens
            probs = logits.sub_(lse.unsqueeze(1)).exp_()
            probs.scatter_add_(1, safe.unsqueeze(1), -valid.to(probs.dtype).unsqueeze(1))
            probs.mul_(valid.unsqueeze(1))
            g = probs.to(hidden.dtype)
            del logits, probs
            if gh is not None:
                gh[s:s + chunk] = g @ weight.to(hidden.dtype)
            if gw is not None:
                gw += (g.t() @ h.to(weight.dtype)).float()
        ctx.grads = (gh, gw)
        ctx.weight_dtype = weight.dtype
        return total

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> Any:
        gh, gw = ctx.grads
        ctx.grads = None
        # scale in fp32: the upstream gradient is 1/(global target tokens), which bf16 would round by
        # up to 0.4% (a bias on every gradient of the step, seen as +0.6% grad norm on the GPU check)
        dh = (gh.float() * grad).to(gh.dtype) if gh is not None else None
        dw = (gw * grad).to(ctx.weight_dtype) if gw is not None else None
        return dh, dw, None, None, None, None


def linear_cross_entropy(hidden: torch.Tensor, weight: torch.Tensor, targets: torch.Tensor,
                         chunk: int = 8192) -> torch.Tensor:
    """Summed token NLL of ``hidden [N, h] @ weight.T [h, V]`` against ``targets [N]`` (IGNORE
    skipped), fp32 softmax per chunk of ``chunk`` tokens. Same value and gradients as
    ``F.cross_entropy(logits.float(), targets, reduction='sum')`` on the full logits."""
    grad = torch.is_grad_enabled()
    need_h = grad and hidden.requires_grad
    need_w = grad and weight.requires_grad
    return _LinearCE.apply(hidden, weight, targets, max(1, chunk), need_h, need_w)  # type: ignore[no-any-return,no-untyped-call]


class FusedCEHead(torch.nn.Linear):
    """An ``lm_head`` that returns the summed token NLL (a 0-d tensor, in place of the logits) while
    ``xlam_targets`` is set, and plain logits otherwise. Swapped in by class (same parameters,
    same state-dict keys), so DDP, DeepSpeed, PEFT and export see the original module."""

    xlam_targets: torch.Tensor | None = None
    xlam_chunk: int = 8192

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        targets = self.xlam_targets
        if targets is None:
            return super().forward(hidden)
        return linear_cross_entropy(hidden.reshape(-1, hidden.shape[-1]), self.weight, targets.reshape(-1),
                                    self.xlam_chunk)


def fuse_lm_head(model: torch.nn.Module, chunk: int) -> FusedCEHead:
    """Turn ``model``'s output embedding into a :class:`FusedCEHead` (in place) and return it."""
    head = model.get_output_embeddings()  # type: ignore[operator]
    if type(head) is not torch.nn.Linear and not isinstance(head, FusedCEHead):
        raise TypeError(f"fused cross-entropy needs an nn.Linear lm_head, not {type(head).__name__}")
    if head.bias is not None:
        raise TypeError("fused cross-entropy needs an lm_head without bias")
    head.__class__ = FusedCEHead
    head.xlam_chunk = chunk
    return head  # type: ignore[no-any-return,unused-ignore]


# --- router statistics -------------------------------------------------------------------------
def router_stats(router_logits: tuple[torch.Tensor, ...] | list[torch.Tensor], num_experts: int, top_k: int,
                 token_mask: torch.Tensor) -> dict[str, torch.Tensor]:
    """Load-balancing loss (Switch/Mixtral form pooled over layers, as transformers'
    ``load_balancing_loss_func`` with an attention mask: ``E * sum_e f_e * P_e`` with ``f_e`` the
    share of top-k assignments and ``P_e`` the mean router probability over real tokens), the
    per-expert top-k counts summed over layers and the mean router entropy; all device tensors."""
    probs = torch.stack([layer.reshape(-1, num_experts) for layer in router_logits]).float().softmax(-1)  # [L, T, E]
    layers = probs.shape[0]
    mask = token_mask.reshape(-1).to(probs.device, probs.dtype)  # [T]
    real = mask.sum().clamp_min(1.0)
    top = probs.topk(top_k, dim=-1).indices  # [L, T, k]
    weights = mask.view(1, -1, 1).expand_as(top).reshape(-1)
    counts = torch.zeros(num_experts, device=probs.device, dtype=probs.dtype).index_add_(0, top.reshape(-1), weights)
    f = counts / (layers * real)
    p = (probs * mask.view(1, -1, 1)).sum((0, 1)) / (layers * real)
    aux = num_experts * (f * p).sum()
    with torch.no_grad():
        ent = -(probs * probs.clamp_min(1e-12).log()).sum(-1)  # [L, T]
        entropy = ((ent * mask).sum(-1) / real).mean()
    return {"aux_loss": aux, "expert_counts": counts.detach(), "router_entropy": entropy}


# --- fused mixed-precision AdamW ---------------------------------------------------------------
def adamw_master_update(param: torch.Tensor, grad: torch.Tensor, master: torch.Tensor, exp_avg: torch.Tensor,
                        exp_avg_sq: torch.Tensor, lr: torch.Tensor, bc1: torch.Tensor, bc2_sqrt: torch.Tensor,
                        clip: torch.Tensor, beta1: float, beta2: float, eps: float, weight_decay: float) -> None:
    """In place: AdamW (decoupled decay, torch's formula) on the fp32 ``master`` with the gradient
    ``grad * clip`` (bf16 or fp32), and ``param`` (bf16) <- master. ``lr``, the bias corrections
    ``bc1 = 1 - beta1^t`` and ``bc2_sqrt = sqrt(1 - beta2^t)`` and the clip factor are 0-d device
    tensors, so no value travels to the host. Compiled, it is one pass over the five buffers."""
    g = grad.float() * clip
    master.mul_(1 - lr * weight_decay)
    exp_avg.lerp_(g, 1 - beta1)
    exp_avg_sq.mul_(beta2).addcmul_(g, g, value=1 - beta2)
    denom = (exp_avg_sq.sqrt() / bc2_sqrt).add_(eps)
    master.sub_(lr / bc1 * exp_avg / denom)
    param.copy_(master)
