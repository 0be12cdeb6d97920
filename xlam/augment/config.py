"""The typed configuration of the augment stage."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from xlam.generators import GeneratorConfig
from xlam.prompts.style import DELIMITER_STYLES, TOOL_RENDERINGS, DelimiterStyle, ToolRendering


class AugmentConfig(BaseModel):
    """Which augmentations run. Every random choice derives from ``seed``, the record id and the
    copy number, so the same input and config always give the same output."""

    model_config = ConfigDict(extra="forbid")

    seed: int = Field(default=0, description="Base seed.")
    copies: int = Field(default=1, ge=1, le=100, description="Augmented variants written per input record.")
    keep_original: bool = Field(default=False, description="Also write each input record unchanged.")
    # prompt-format augmentation
    shuffle_tools: bool = Field(default=True, description="Permute the tool list.")
    shuffle_tool_parameters: bool = Field(default=True, description="Permute parameters inside each tool.")
    shuffle_fields: bool = Field(
        default=True,
        description="Permute name/description/parameters key order in "
        "rendered tools and name/arguments in rendered calls.",
    )
    shuffle_call_arguments: bool = Field(default=True, description="Permute argument order inside calls.")
    shuffle_parallel_calls: bool = Field(default=True, description="Permute the calls of parallel steps.")
    shuffle_sections: bool = Field(default=True, description="Permute the prompt's preamble sections.")
    delimiters: list[DelimiterStyle] = Field(default_factory=lambda: list(DELIMITER_STYLES))
    tool_renderings: list[ToolRendering] = Field(default_factory=lambda: list(TOOL_RENDERINGS))
    # instruction-following augmentation
    output_formats: list[str] | None = Field(
        default=None, description="Output formats to choose from (None: every xlam.formats format; []: keep)."
    )
    paraphrase: GeneratorConfig | None = Field(
        default=None, description="Generator that paraphrases task instructions (None: no paraphrasing)."
    )
    paraphrase_probability: float = Field(
        default=1.0, ge=0, le=1, description="Share of records paraphrased."
    )
    verify_paraphrase: bool = Field(
        default=True,
        description="Keep a paraphrase only if the generator, prompted with it, still emits the gold calls.",
    )
    paraphrase_batch: int = Field(default=16, ge=1)
    paraphrase_max_tokens: int = Field(default=256, ge=16)
    on_error: Literal["fail", "skip"] = Field(
        default="fail", description="Invalid input records: stop, or skip."
    )
