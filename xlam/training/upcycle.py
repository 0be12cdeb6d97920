"""Sparse upcycling: turn a dense Llama-architecture model into a Mixtral-architecture MoE.

Every expert starts as a copy of the dense MLP of its layer (``gate_proj``/``up_proj`` become rows
of ``gate_up_proj``, ``down_proj`` becomes ``down_proj``); attention, norms, embeddings and the head
are copied unchanged. Mixtral renormalises the top-k router weights to sum to one, so with identical
experts the MoE output equals the dense MLP output for *any* router weights: the new router is
initialised with small random weights (std ``router_std``) so that routing can specialise once the
experts diverge, while the upcycled model reproduces the dense model's logits at initialisation.
"""

from __future__ import annotations

from typing import Any

import torch


def mixtral_config_from_llama(llama_config: Any, num_experts: int, top_k: int, **overrides: Any) -> Any:
    """A ``MixtralConfig`` with the dense model's shapes and ``num_experts`` experts of top-``top_k``."""
    from transformers import MixtralConfig

    if getattr(llama_config, "attention_bias", False) or getattr(llama_config, "mlp_bias", False):
        raise ValueError("upcycling needs a bias-free Llama model (Mixtral layers have no biases)")
    if top_k > num_experts:
        raise ValueError(f"top_k={top_k} exceeds num_experts={num_experts}")
    c = llama_config
    kwargs: dict[str, Any] = dict(
        vocab_size=c.vocab_size,
        hidden_size=c.hidden_size,
        intermediate_size=c.intermediate_size,
        num_hidden_layers=c.num_hidden_layers,
        num_attention_heads=c.num_attention_heads,
        num_key_value_heads=c.num_key_value_heads,
        head_dim=getattr(c, "head_dim", None) or c.hidden_size // c.num_attention_heads,
        hidden_act=c.hidden_act,
        max_position_embeddings=c.max_position_embeddings,
        rms_norm_eps=c.rms_norm_eps,
        rope_parameters=dict(c.rope_parameters) if getattr(c, "rope_parameters", None) else None,
        tie_word_embeddings=c.tie_word_embeddings,
        bos_token_id=c.bos_token_id,
        eos_token_id=c.eos_token_id,
        pad_token_id=getattr(c, "pad_token_id", None),
        sliding_window=None,
        num_local_experts=num_experts,
        num_experts_per_tok=top_k,
        router_jitter_noise=0.0,
    )
    kwargs.update(overrides)
    return MixtralConfig(**kwargs)


@torch.no_grad()
def upcycle_llama_to_mixtral(
    dense: torch.nn.Module, num_experts: int, top_k: int = 2, *, router_std: float = 0.02, seed: int = 0
) -> Any:
    """A ``MixtralForCausalLM`` whose experts are copies of ``dense``'s MLPs (see the module doc)."""
    from transformers import MixtralForCausalLM

    cfg = mixtral_config_from_llama(dense.config, num_experts, top_k)
    moe: Any = MixtralForCausalLM(cfg)
    moe = moe.to(dtype=next(dense.parameters()).dtype)
    dense_sd = dense.state_dict()
    moe_sd = moe.state_dict()
    generator = torch.Generator().manual_seed(seed)
    for name, tensor in moe_sd.items():
        if ".mlp." not in name:
            src = dense_sd.get(name)
            if src is None and name == "lm_head.weight":
                src = dense_sd["model.embed_tokens.weight"]
            if src is None or src.shape != tensor.shape:
                raise ValueError(f"upcycling: no dense tensor of shape {tuple(tensor.shape)} for {name}")
            tensor.copy_(src)
            continue
        prefix = name.split(".mlp.")[0] + ".mlp."
        if name.endswith("mlp.gate.weight"):  # router  [E, D]
            tensor.copy_(torch.randn(tensor.shape, generator=generator) * router_std)
        elif name.endswith("mlp.experts.gate_up_proj"):  # [E, 2F, D]
            gate_up = torch.cat([dense_sd[prefix + "gate_proj.weight"], dense_sd[prefix + "up_proj.weight"]], dim=0)
            tensor.copy_(gate_up.unsqueeze(0).expand_as(tensor))
        elif name.endswith("mlp.experts.down_proj"):  # [E, D, F]
            tensor.copy_(dense_sd[prefix + "down_proj.weight"].unsqueeze(0).expand_as(tensor))
        else:
            raise ValueError(f"upcycling: unexpected MoE tensor {name}")
    moe.load_state_dict(moe_sd)
    if cfg.tie_word_embeddings:
        moe.tie_weights()
    return moe
