"""Recipes have the exact published sizes; upcycled smol-moe reproduces the dense model at init."""

from __future__ import annotations

import pytest
import torch

from xlam.training.recipes import RECIPES, get_recipe


@pytest.mark.parametrize("name", [n for n, r in RECIPES.items() if r.paper_params])
def test_recipe_architecture_matches_published_size(name: str) -> None:
    from transformers import AutoModelForCausalLM

    recipe = get_recipe(name)
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(recipe.config())
    n = sum(p.numel() for p in model.parameters())
    assert abs(n - recipe.paper_params) / recipe.paper_params < 0.01, n
    assert (type(model).__name__ == "MixtralForCausalLM") == recipe.is_moe


def test_paper_defaults() -> None:
    assert get_recipe("xlam-8x22b").sft_method == "lora"
    assert all(r.dpo_method == "lora" for r in RECIPES.values())
    assert {r.sft_method for n, r in RECIPES.items() if n != "xlam-8x22b"} == {"full"}


@pytest.mark.slow
def test_upcycled_smol_moe_matches_dense_logits() -> None:
    """smol-moe = SmolLM2 (real GGUF weights) with every MLP copied into 4 experts and a new top-2
    router: its logits equal the dense model's, while the router is not trivial."""
    from xlam.training.models import build_model
    from xlam.training.upcycle import upcycle_llama_to_mixtral

    dense = build_model(get_recipe("smol")).eval()
    moe = upcycle_llama_to_mixtral(dense, num_experts=4, top_k=2, seed=1).eval()
    assert type(moe).__name__ == "MixtralForCausalLM" and moe.config.num_local_experts == 4
    ids = torch.randint(0, dense.config.vocab_size, (2, 48), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        a = dense(input_ids=ids, use_cache=False).logits
        out = moe(input_ids=ids, use_cache=False, output_router_logits=True)
    assert torch.allclose(a, out.logits, atol=1e-3, rtol=1e-4), (a - out.logits).abs().max()
    router = out.router_logits[0]
    assert router.std() > 0  # a real, random router: routing differs per token
    top = router.topk(2, dim=-1).indices
    assert len({tuple(t.tolist()) for t in top}) > 1
    # different from the dense model once the experts diverge
    with torch.no_grad():
        moe.model.layers[0].mlp.experts.down_proj.mul_(2.0)
        b = moe(input_ids=ids, use_cache=False).logits
    assert not torch.allclose(a, b, atol=1e-3)
