"""The typed configuration of the synthesis stage (CLI, pipelines and the control plane use it)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import ConfigDict, Field, field_validator

from xlam.generators import GeneratorConfig
from xlam.stable_dump import StableDumpModel
from xlam.synthesis.multi_turn.config import MultiTurnConfig
from xlam.synthesis.phrasing import Voicing
from xlam.tools.sandbox import SandboxLimits

Style = Literal["simple", "multiple", "parallel", "parallel_multiple", "irrelevance", "missing_parameter"]
ALL_STYLES: tuple[Style, ...] = ("simple", "multiple", "parallel", "parallel_multiple", "irrelevance",
                                 "missing_parameter")


class SynthesisConfig(StableDumpModel):
    """APIGen-style synthesis: sample tools, seeds and prompt templates; generate; keep only what
    passes the format -> execution -> semantic checks."""

    model_config = ConfigDict(extra="forbid")
    #: added after configs were first hashed: dumped only when set (xlam.stable_dump)
    added_later: ClassVar[tuple[str, ...]] = ("irrelevance_near_miss_rate", "unit_rate", "date_rate", "inline_rate",
                                                  "reword_rate", "compact_rate", "words_rate", "percent_rate",
                                                  "flag_rate", "product_rate", "arity_weight", "intent_rate",
                                                  "task_rate", "slot_rate", "magnitude_rate",
                                                  "apostrophe_rate", "city_state_rate")

    n: int = Field(default=100, ge=1, description="Verified samples to produce.")
    styles: list[Style] = Field(default_factory=lambda: list(ALL_STYLES), min_length=1,
                                description="Query styles to draw from (uniformly unless style_weights).")
    style_weights: dict[str, float] = Field(default_factory=dict, description="Relative weight per style.")
    generator: GeneratorConfig = Field(default_factory=GeneratorConfig, description="template | hf | openai.")
    tools: str = Field(default="default", description="Tools source: default | module:pkg.mod | openapi.json | "
                                                      "registry.jsonl | dataset URI.")
    base_url: str | None = Field(default=None, description="OpenAPI tools: override servers[0].url.")
    rest_allow_list: list[str] = Field(default_factory=list, description="Base URLs REST tools may reach "
                                                                          "(default: the OpenAPI base URLs).")
    seed: int = Field(default=0, description="Seed of every sampler.")
    min_tools: int = Field(default=2, ge=2, description="Fewest tools offered in multiple-tool styles.")
    max_tools: int = Field(default=4, ge=2, description="Most tools offered in one sample.")
    mixed_category_rate: float = Field(default=0.3, ge=0, le=1,
                                       description="Share of multi-tool samples whose tools span categories.")
    max_parallel_calls: int = Field(default=3, ge=2, description="Most calls in a parallel step.")
    optional_rate: float = Field(default=0.3, ge=0, le=1, description="Chance to set each optional argument.")
    prompt_templates: list[str] = Field(default_factory=lambda: ["formal", "casual", "terse", "question", "typo"],
                                        description="Request phrasings (typo = misspelled requests).")
    seed_uri: str | None = Field(default=None, description="Verified records that start the seed pool.")
    seed_examples: int = Field(default=2, ge=0, description="Seed examples shown to an LLM generator per prompt.")
    seed_reuse_rate: float = Field(default=0.2, ge=0, le=1,
                                   description="Template: chance to reuse a verified seed's tool set.")
    seed_pool_size: int = Field(default=500, ge=1, description="Most seeds kept (oldest dropped).")
    clarification_followup: bool = Field(default=True, description="missing_parameter: add the user's answer "
                                                                   "and the completed call as a second step.")
    irrelevance_near_miss_rate: float = Field(
        default=0.0, ge=0, le=1,
        description="irrelevance: share of samples whose offered tools come from the withheld tool's own category "
                    "(near misses, as many BFCL irrelevance items offer); the rest offer tools of other categories.")
    unit_rate: float = Field(
        default=0.0, ge=0, le=1,
        description="Template queries: chance that a numeric value whose parameter description states a unit is "
                    "said with it (\"the angle is 30 degrees\", \"a rate of 5%\") while the call passes the bare number "
                    "(BFCL's queries state units; models trained on bare numbers copy `5Ampere` into the call).")
    date_rate: float = Field(
        default=0.0, ge=0, le=1,
        description="Template queries: chance that a date parameter's ISO value is said as people write dates "
                    "(\"March 5, 2021\", \"the 5th of March 2021\") while the call passes 2021-03-05 (BFCL's queries "
                    "say dates in words; the run-3 model left such required dates out).")
    inline_rate: float = Field(
        default=0.0, ge=0, le=1,
        description="Template queries: chance that a single request says its arguments inside the sentence "
                    "(\"Compute the BMI for a weight of 70 and 1.75 as the height\") rather than in a separate "
                    "\"The inputs: the weight is 70 and ...\" sentence (more varied wording, less to memorise).")
    reword_rate: float = Field(
        default=0.0, ge=0, le=1,
        description="Template queries: chance that a request does not copy its tool description's verb: a synonym "
                    "(\"Work out the volume of a cylinder\") or a question about what the tool computes (\"What is "
                    "the volume of a cylinder ...?\"), so calling a tool does not hinge on the query repeating its "
                    "description.")
    compact_rate: float = Field(
        default=0.0, ge=0, le=1,
        description="Template queries: chance that a request says its arguments inside the sentence with short "
                    "nouns from the parameter names, as BFCL's queries do (\"... with a radius of 3 and height 5\", "
                    "\"for London, United Kingdom\"); single and parallel requests.")
    words_rate: float = Field(
        default=0.0, ge=0, le=1,
        description="Template queries: chance that a small count (an integer parameter from 0 to 12) is said as a "
                    "word (\"two adults\", \"for three nights\") while the call passes the number (9-29% of BFCL's "
                    "non-live queries say numbers in words; the run-5 model left such arguments out).")
    percent_rate: float = Field(
        default=0.0, ge=0, le=1,
        description="Template queries: chance that a rate is said as a percentage: a parameter \"in percent\" as "
                    "\"5%\", after verification turned into a decimal-rate parameter passing 0.05 in 80% of such samples "
                    "(xlam.synthesis.rates; BFCL: 35 of 42 percentage rates expect the decimal), and a probability or "
                    "fraction from 0 to 1 as \"60%\" (the call passes 0.6).")
    flag_rate: float = Field(
        default=0.0, ge=0, le=1,
        description="Template queries: chance that a boolean argument is said as people ask for it, from the "
                    "parameter name (\"including dissent\", \"without outdoor seating\", \"make it detailed\") rather "
                    "than \"the ... is true\" (86 of BFCL's 1,000 non-live call items need a boolean the query implies "
                    "this way; run 6's models got 5 of them right).")
    product_rate: float = Field(
        default=0.0, ge=0, le=1,
        description="parallel: chance that a sample asks for every combination of two argument lists (\"for radius 3 "
                    "and 5, each with height 2 and 4\": four calls; xlam.synthesis.products), as many of BFCL's parallel "
                    "queries do; run 6's models gave too few calls on 73 of the 400 parallel items.")
    arity_weight: float = Field(
        default=0.0, ge=0,
        description="Weight the tool a sample calls by its number of parameters to this power (0: uniform). The "
                    "catalog's tools take 2.1 parameters on average and its calls state 1.9 arguments; BFCL's offer 2.9 "
                    "and state 2.4, and run 6's models stopped after the first arguments (missing required 64 times "
                    "for integers alone).")
    intent_rate: float = Field(
        default=0.0, ge=0, le=1,
        description="Template queries: chance that a request says what it wants in other words than its tool's "
                    "description (\"take the root of a figure\", \"What number times itself gives my value?\" for "
                    "\"Compute the square root of a non-negative number.\"): the catalog's request wordings, "
                    "xlam/synthesis/intents.json. Requests built from the description repeat its words (99.6% of "
                    "the recipe's call samples repeat over 40% of them); run 7's model answered 81% of BFCL's call "
                    "items whose query repeats under 10% in prose (xlam.evaluation.overlap).")
    slot_rate: float = Field(
        default=0.0, ge=0, le=1,
        description="Template queries: chance that a request is one of the catalog's templates with the values "
                    "where the sentence needs them (\"Find me a place to stay in Lima for 3 nights\"; "
                    "xlam.synthesis.slots, slots.json) instead of a request followed by its arguments; arguments the "
                    "template has no slot for are said after it. Tools without templates keep the other forms.")
    magnitude_rate: float = Field(
        default=0.0, ge=0, le=1,
        description="Chance that a numeric argument whose parameter allows 100,000 or more takes a large round value "
                    "(25000, 8500000), and that a whole number of 1,000 or more is said as people write it (\"25,000\", "
                    "\"$2 million\", \"8.5 million\"); the call keeps the number (xlam.synthesis.magnitudes). The "
                    "sampler kept numbers under about 1,000, BFCL asks for larger ones in 13% of its non-live items.")
    apostrophe_rate: float = Field(
        default=0.0, ge=0, le=1,
        description="Chance that a free-text argument (a sentence, title, person or company name, search query) is a "
                    "value with an apostrophe (\"Let's meet at 10 AM tomorrow.\", \"McDonald's\"; "
                    "xlam.synthesis.values.APOSTROPHES), which a Python call writes in double quotes.")
    city_state_rate: float = Field(
        default=0.0, ge=0, le=1,
        description="Chance that a call sample whose tools take a city passes US cities as \"City, ST\" (\"Austin, "
                    "TX\"), its tools' city parameters saying they take 'City, State', while the request says "
                    "\"Austin, TX\", \"Austin\" or \"Austin, Texas\" (xlam.synthesis.places). BFCL's live functions ask for "
                    "that form and accept no other; run 10's model gave the city alone on 247 of 1,367 live call items.")
    task_rate: float = Field(
        default=0.0, ge=0, le=1,
        description="parallel_multiple: chance that a sample calls 2-4 distinct tools (weighted as BFCL's category: "
                    "2 55%, 3 35%, 4 10%; up to 4 calls) and says its parts in order (\"First, ... Secondly, ... "
                    "Lastly, ...\", \"1) ... 2) ...\"; xlam.synthesis.tasks). Otherwise such a sample calls exactly "
                    "two tools, joined by \"Also,\" / \"Then\".")
    unique_queries: bool = Field(default=True, description="Reject a sample whose query was already verified.")
    execute: bool = Field(default=True, description="Run the execution checker (sandbox).")
    semantic_judge: GeneratorConfig | None = Field(
        default=None, description="LLM judge for the semantic check (not used with the template generator; "
                                  "rule-based semantic checks always run).")
    sandbox: SandboxLimits = Field(default_factory=lambda: SandboxLimits(wall_seconds=10, cpu_seconds=5))
    batch_size: int = Field(default=128, ge=1, description="Candidates per generation/execution batch.")
    max_attempts: int | None = Field(default=None, ge=1, description="Most candidates (default 6 * n).")
    temperature: float = Field(default=0.7, ge=0, description="LLM sampling temperature (APIGen used 0.7).")
    max_tokens: int = Field(default=512, ge=16, description="LLM output budget per candidate.")
    source: str = Field(default="synthesis", description="The output records' source name.")
    namespace_rate: float = Field(
        default=0.0, ge=0, le=1,
        description="Share of verified samples whose tools are renamed into a namespaced style "
                    "(math.factorial, geometry_tools.area...; xlam.synthesis.naming), after verification.")
    whole_numbers: Literal["float", "int"] = Field(
        default="float", description="How a verified sample's whole-valued `number` arguments are written in its "
        "calls: float (378.0, as sampled) or int (378, as the query says it; xlam.synthesis.numbers).")
    mode: Literal["single_turn", "multi_turn"] = Field(
        default="single_turn", description="multi_turn: APIGen-MT dialogues over the executable environments of "
                                           "xlam.envs (settings in `multi_turn`; `tools` and the styles are unused).")
    multi_turn: dict[str, Any] = Field(
        default_factory=dict, description="mode=multi_turn: MultiTurnConfig fields (environments, turn rates...); "
                                          "n, seed and generator are this config's.")

    @field_validator("multi_turn")
    @classmethod
    def _multi_turn_fields(cls, value: dict[str, Any]) -> dict[str, Any]:
        own = sorted({"n", "seed", "generator"} & set(value))
        if own:
            raise ValueError(f"set {', '.join(own)} on the synthesis config itself, not in multi_turn")
        MultiTurnConfig.model_validate(value)  # errors name the field (environment configs, rates...)
        return value

    def voicing(self) -> Voicing:
        """How template queries say argument values (xlam.synthesis.phrasing.Voicing)."""
        return Voicing(unit_rate=self.unit_rate, date_rate=self.date_rate, inline_rate=self.inline_rate,
                       reword_rate=self.reword_rate, compact_rate=self.compact_rate,
                       words_rate=self.words_rate, percent_rate=self.percent_rate,
                       flag_rate=self.flag_rate, intent_rate=self.intent_rate, slot_rate=self.slot_rate,
                       magnitude_rate=self.magnitude_rate)

    def multi_turn_config(self) -> MultiTurnConfig:
        """The multi-turn config: ``multi_turn`` plus this config's n, seed and generator."""
        return MultiTurnConfig.model_validate({**self.multi_turn, "n": self.n, "seed": self.seed,
                                               "generator": self.generator.model_dump()})

    @field_validator("styles")
    @classmethod
    def _unique(cls, value: list[Style]) -> list[Style]:
        return list(dict.fromkeys(value))


__all__ = ["ALL_STYLES", "Style", "SynthesisConfig"]
