"""The typed experiment file: one data recipe, one training recipe, one evaluation, and ablation variants.

An experiment runs synthesize -> (augment) -> dedup -> mix -> SFT (-> DPO) -> BFCL eval -> report, for a
baseline configuration and for each variant (a variant overrides dotted keys of ``data``, ``train``
or ``eval``). Variants with the same data configuration share one data set.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from xlam.augment.config import AugmentConfig
from xlam.dedup.config import DedupConfig
from xlam.preference.runner import PreferenceConfig
from xlam.stable_dump import StableDumpModel
from xlam.synthesis.config import SynthesisConfig
from xlam.synthesis.multi_turn.config import MultiTurnConfig

Stage = Literal["data", "train", "eval", "report"]
STAGES: tuple[Stage, ...] = ("data", "train", "eval", "report")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DataRecipe(StableDumpModel):
    """How the training data set is made."""

    model_config = ConfigDict(extra="forbid")
    #: added after data sets were first keyed: dumped (and hashed) only when set (xlam.stable_dump)
    added_later: ClassVar[tuple[str, ...]] = ("multi_turn", "preference")

    synthesis: SynthesisConfig = Field(default_factory=SynthesisConfig, description="APIGen synthesis (n, styles...).")
    verify: bool = Field(default=True, description="Keep only samples that pass format, execution and semantic "
                                                   "checks (False: keep every well-formed draft: the ablation).")
    augment: AugmentConfig | None = Field(default=None, description="Augmentation of the synthesized samples.")
    dedup: DedupConfig | None = Field(default_factory=DedupConfig, description="Exact + near dedup; null: off.")
    multi_turn: MultiTurnConfig | None = Field(
        default=None, description="APIGen-MT dialogues over the platform's own stateful environments, mixed in "
        "(train with data.expansion: per_user_turn so every assistant turn is a target).")
    preference: PreferenceConfig | None = Field(
        default=None, description="DPO pairs built from the final data set (xlam.preference: a verified answer "
        "against a labelled corruption the BFCL-style checker rejects); needed by the experiment's `dpo` stage.")
    extra_datasets: list[str] = Field(default_factory=list, description="Further dataset URIs mixed in as they are.")
    decontaminate: bool = Field(default=True, description="Drop records that share a function name or a query "
                                                         "8-gram with BFCL (the evaluation set).")


class EvalRecipe(_Strict):
    categories: list[str] = Field(default_factory=lambda: ["non_live"], description="BFCL categories or groups "
                                  "(multi-turn ones such as multi_turn_base run through the multi-turn harness).")
    limit: int | None = Field(default=None, ge=1, description="Items per category (first N in file order).")
    batch_size: int = Field(default=64, ge=1, description="Prompts per generate() batch.")
    max_tokens: int = Field(default=256, ge=8)
    fit_max_tokens: bool = Field(default=True, description="Per category: the longest gold answer + 16 tokens "
                                                          "(at most max_tokens); a model that never stops then "
                                                          "costs a fraction of the decode steps.")
    base: bool = Field(default=True, description="Also evaluate the untrained base model.")
    call_bias: float | Literal["auto"] = Field(
        default=0.0, description="Added to the call list's opening '[' logit at the first answer token (EvalConfig."
        "call_bias); auto: fitted per model on held-out synthetic samples of its own recipe at another seed "
        "(xlam.evaluation.call_bias), written to eval/<variant>/call_bias.json.")
    call_bias_samples: int = Field(default=400, ge=4, description="call_bias auto: held-out samples to fit on.")
    call_bias_held_out: dict[str, Any] | None = Field(
        default=None, description="call_bias auto: synthesis options laid over the recipe for the held-out samples "
        "(default: xlam.evaluation.call_bias.NATURAL_PHRASING, requests worded as people word them; {}: the recipe's "
        "own wording).")


class Variant(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    description: str = ""
    overrides: dict[str, Any] = Field(default_factory=dict, description="Dotted keys: data.*, train.*, dpo.*, eval.*.")
    seed: int | None = Field(default=None, description="Seed of this variant's data (synthesis, multi-turn) and "
                                                      "training (default: the experiment's seed).")
    replicate_of: str | None = Field(
        default=None, description="The baseline's or another variant's name: this variant is that recipe at "
        "`seed` (its overrides, then the seed; own overrides only eval.*), reported as one more seed of it.")
    model_of: str | None = Field(
        default=None, description="The baseline's or another variant's name: this variant scores that variant's "
        "trained model (one training, in runs/<that name>) with its own eval.* overrides only, e.g. "
        "eval.call_bias; run it in the same lane after that variant.")

    @field_validator("overrides")
    @classmethod
    def _scoped(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key in value:
            if key.split(".", 1)[0] not in ("data", "train", "dpo", "eval") or "." not in key:
                raise ValueError(f"override {key!r} must start with data., train., dpo. or eval.")
        return value

    @model_validator(mode="after")
    def _replicate(self) -> Variant:
        if self.model_of is not None:
            if self.replicate_of is not None or self.seed is not None:
                raise ValueError(f"variant {self.name!r}: model_of scores another variant's model; it takes neither "
                                 "replicate_of nor a seed")
            recipe = [k for k in self.overrides if not k.startswith("eval.")]
            if recipe:
                raise ValueError(f"variant {self.name!r} scores {self.model_of!r}'s model: it may override eval.* "
                                 f"only, not {recipe[0]!r}")
        if self.replicate_of is not None:
            if self.seed is None:
                raise ValueError(f"variant {self.name!r}: replicate_of needs a seed")
            recipe = [k for k in self.overrides if not k.startswith("eval.")]
            if recipe:
                raise ValueError(f"variant {self.name!r} replicates {self.replicate_of!r}: it may override eval.* "
                                 f"only, not {recipe[0]!r} (a replicate differs by its seed alone)")
        return self


class ExperimentConfig(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    description: str = ""
    seed: int = 0
    data: DataRecipe = Field(default_factory=DataRecipe)
    train: dict[str, Any] = Field(default_factory=dict, description="TrainConfig fields (data.datasets is filled in).")
    dpo: dict[str, Any] | None = Field(
        default=None, description="A DPO stage after SFT: TrainConfig fields laid over `train` (method dpo; the model "
        "starts from the SFT export; data: the data recipe's `preference` pairs). null: SFT only.")
    eval: EvalRecipe = Field(default_factory=EvalRecipe)
    variants: list[Variant] = Field(default_factory=list, description="Ablations: overrides of the baseline.")
    baseline_name: str = Field(default="baseline", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

    @field_validator("variants")
    @classmethod
    def _unique(cls, value: list[Variant]) -> list[Variant]:
        names = [v.name for v in value]
        if len(names) != len(set(names)):
            raise ValueError("variant names must be unique")
        return value

    @model_validator(mode="after")
    def _dpo_has_pairs(self) -> ExperimentConfig:
        from xlam.experiments.runner import plans

        for plan in plans(self):
            if plan.dpo is not None and plan.data.get("preference") is None:
                raise ValueError(f"variant {plan.name!r}: a dpo stage needs data.preference (the pairs it trains on)")
        return self

    @model_validator(mode="after")
    def _replicates_name_a_recipe(self) -> ExperimentConfig:
        own = {v.name: v for v in self.variants}
        for variant in self.variants:
            target = variant.replicate_of
            if target is None:
                continue
            if target != self.baseline_name and target not in own:
                raise ValueError(f"variant {variant.name!r}: replicate_of {target!r} names neither the baseline "
                                 f"({self.baseline_name!r}) nor a variant")
            if target in own and own[target].replicate_of is not None:
                raise ValueError(f"variant {variant.name!r}: replicate_of {target!r} is itself a replicate; name "
                                 f"{own[target].replicate_of!r}")
        for variant in self.variants:
            target = variant.model_of
            if target is not None and target != self.baseline_name and (
                    target not in own or own[target].replicate_of or own[target].model_of):
                raise ValueError(f"variant {variant.name!r}: model_of {target!r} names neither the baseline "
                                 f"({self.baseline_name!r}) nor a variant that trains its own recipe")
        return self


__all__ = ["STAGES", "DataRecipe", "EvalRecipe", "ExperimentConfig", "Stage", "Variant"]
