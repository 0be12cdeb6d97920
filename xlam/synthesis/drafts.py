"""Candidate samples (drafts) and the template generator that builds them from tool schemas alone.

A :class:`Draft` is what a generator proposes: the offered tools, the user's query, the assistant
steps (calls, or a reply for irrelevance/clarification) and the gold calls. The template
generator draws argument values that satisfy each schema, phrases the request from the tool
descriptions and the values (see :mod:`xlam.synthesis.phrasing`) and composes the six styles.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Unpack

from xlam.records import Category, Step, Tool, ToolCall, canonical_json
from xlam.synthesis import phrasing, places, products, tasks
from xlam.synthesis.config import SynthesisConfig
from xlam.synthesis.library import LibraryTool, ToolLibrary
from xlam.synthesis.values import ValueRates, sample_arguments

STYLE_CATEGORY: dict[str, Category] = {
    "simple": Category.SIMPLE,
    "multiple": Category.MULTIPLE,
    "parallel": Category.PARALLEL,
    "parallel_multiple": Category.PARALLEL_MULTIPLE,
    "irrelevance": Category.IRRELEVANCE,
    "missing_parameter": Category.CLARIFICATION,
}


@dataclass
class Draft:
    """A candidate sample, before checks."""

    style: str
    query: str
    tools: list[Tool]
    steps: list[Step]
    generator: str
    template: str = ""
    seed_ids: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    raw: str = ""

    @property
    def category(self) -> Category:
        return STYLE_CATEGORY[self.style]

    def gold_calls(self) -> list[ToolCall]:
        """The calls of the first assistant turn (what BFCL-style ground truth describes)."""
        return list(self.steps[0].tool_calls) if self.steps else []

    def all_calls(self) -> list[ToolCall]:
        return [c for s in self.steps for c in s.tool_calls]


class DraftError(ValueError):
    """The template generator could not build this style from the sampled tools (retry)."""


def _distinct_argument_sets(tool: Tool, rng: random.Random, count: int, optional_rate: float,
                            **rates: Unpack[ValueRates]) -> list[dict[str, Any]]:
    sets: list[dict[str, Any]] = []
    seen: set[bytes] = set()
    for _ in range(count * 6):
        args = sample_arguments(tool.parameters, rng, optional_rate=optional_rate, **rates)
        key = canonical_json(args)
        if key not in seen:
            seen.add(key)
            sets.append(args)
        if len(sets) == count:
            return sets
    raise DraftError(f"{tool.name}: could not draw {count} distinct argument sets")


class TemplateDrafter:
    """Builds drafts for each style from a :class:`ToolLibrary` (no model)."""

    name = "template"

    def __init__(self, library: ToolLibrary, config: SynthesisConfig) -> None:
        self.library = library
        self.config = config
        self.voicing = config.voicing()
        #: value draws beyond the schema's own (large magnitudes, apostrophes): sample_arguments' keywords
        self.rates: ValueRates = {"magnitude_rate": config.magnitude_rate, "apostrophe_rate": config.apostrophe_rate}
        self.callable = [e for e in library.entries if e.tool.properties]

    def _offered(self, rng: random.Random, required: list[LibraryTool], seed_tools: list[str] | None) -> list[Tool]:
        cfg = self.config
        if seed_tools:
            tools = [self.library.by_name[n].tool for n in seed_tools if n in self.library.by_name]
            names = {t.name for t in tools}
            tools += [r.tool for r in required if r.name not in names]
        else:
            k = rng.randint(max(cfg.min_tools, len(required)), max(cfg.max_tools, len(required)))
            mixed = rng.random() < cfg.mixed_category_rate
            extra = self.library.sample(rng, k - len(required) + 1, mixed=mixed, require=required[0],
                                        exclude=[r.name for r in required])
            tools = [r.tool for r in required] + [e.tool for e in extra[1:]]
        rng.shuffle(tools)
        return tools

    def _part(self, entry: LibraryTool, count: int, rng: random.Random, template: str) -> tuple[list[ToolCall], str]:
        """One part of a parallel_multiple request: ``count`` calls of ``entry`` and how the request says them."""
        sets = _distinct_argument_sets(entry.tool, rng, count, self.config.optional_rate, **self.rates)
        said = (phrasing.parallel_request(entry.tool, sets, rng, template=template, voicing=self.voicing) if count > 1
                else phrasing.request(entry.tool, sets[0], rng, template=template, voicing=self.voicing))
        return [ToolCall(name=entry.name, arguments=a) for a in sets], said

    def _task_list(self, main: LibraryTool, pool: list[LibraryTool], seed_tools: list[str] | None, seed_ids: list[str],
                   rng: random.Random, template: str) -> Draft:
        """parallel_multiple over 2-4 distinct tools (xlam.synthesis.tasks), its parts said in order."""
        cfg = self.config
        k = rng.choices(tasks.TOOL_COUNTS, weights=tasks.TOOL_WEIGHTS)[0]
        others = [e for e in pool if e.name != main.name] if seed_tools else self.library.sample(
            rng, k, mixed=rng.random() < cfg.mixed_category_rate, require=main)[1:]
        others = [o for o in others if o.tool.properties]
        if not others:
            raise DraftError("parallel_multiple needs two callable tools")
        called = [main, *rng.sample(others, min(len(others), k - 1))]
        calls: list[ToolCall] = []
        requests: list[str] = []
        for i, entry in enumerate(called):
            room = tasks.MAX_CALLS - len(calls) - (len(called) - i - 1)
            count = 2 if room >= 2 and rng.random() < tasks.TWICE_RATE else 1
            part_calls, said = self._part(entry, count, rng, template)
            calls += part_calls
            requests.append(said)
        tools = self._offered(rng, called, seed_tools)
        return Draft("parallel_multiple", tasks.task_list_request(requests, rng), tools, [Step(tool_calls=calls)],
                     self.name, template, seed_ids, extra={"task_list": len(called)})

    def draft(self, style: str, rng: random.Random, *, seed: Any = None) -> Draft:
        """One draft of ``style``; ``seed`` (a verified record) may lend its tool set. A call draft's cities
        become "City, ST" at ``city_state_rate`` (:func:`xlam.synthesis.places.city_and_state`; no draw at 0)."""
        out = self._draft(style, rng, seed=seed)
        rate = self.config.city_state_rate
        if rate > 0 and style not in ("irrelevance", "missing_parameter") and rng.random() < rate:
            out = places.city_and_state(out, rng)
        return out

    def _draft(self, style: str, rng: random.Random, *, seed: Any = None) -> Draft:
        cfg = self.config
        voice = self.voicing
        template = rng.choice(cfg.prompt_templates or ["formal"])
        seed_ids: list[str] = []
        seed_tools: list[str] | None = None
        if seed is not None and style in ("multiple", "parallel_multiple") and len(seed.tools) >= 2:
            seed_tools = [t.name for t in seed.tools]
            seed_ids = [seed.id]
        if seed_tools:
            pool = [self.library.by_name[n] for n in seed_tools if n in self.library.by_name and
                    self.library.by_name[n].tool.properties]
        else:
            pool = self.callable
        if not pool:
            raise DraftError("no tool with parameters to call")
        if cfg.arity_weight > 0:  # tools with more parameters more often (no extra draw at 0)
            main = rng.choices(pool, weights=[len(e.tool.properties) ** cfg.arity_weight for e in pool])[0]
        else:
            main = rng.choice(pool)
        tool = main.tool

        if style == "simple":
            args = sample_arguments(tool.parameters, rng, optional_rate=cfg.optional_rate, **self.rates)
            return Draft(style, phrasing.request(tool, args, rng, template=template, voicing=voice), [tool],
                         [Step(tool_calls=[ToolCall(name=tool.name, arguments=args)])], self.name, template)

        if style == "multiple":
            args = sample_arguments(tool.parameters, rng, optional_rate=cfg.optional_rate, **self.rates)
            tools = self._offered(rng, [main], seed_tools)
            return Draft(style, phrasing.request(tool, args, rng, template=template, voicing=voice), tools,
                         [Step(tool_calls=[ToolCall(name=tool.name, arguments=args)])], self.name, template, seed_ids)

        if style == "parallel" and cfg.product_rate > 0 and rng.random() < cfg.product_rate and (
                drawn := products.product_sets(tool, rng, optional_rate=cfg.optional_rate, rates=self.rates,
                                               max_calls=max(cfg.max_parallel_calls, 4))) is not None:
            # every combination of two argument lists; a tool with no two scalar arguments: a plain parallel draft
            query, sets = products.product_request(tool, *drawn, rng, template=template, voicing=voice)
            return Draft(style, query, [tool], [Step(tool_calls=[ToolCall(name=tool.name, arguments=a) for a in sets])],
                         self.name, template, extra={"product": [drawn[1], drawn[3]]})

        if style == "parallel":
            sets = _distinct_argument_sets(tool, rng, rng.randint(2, cfg.max_parallel_calls), cfg.optional_rate,
                                          **self.rates)
            return Draft(style, phrasing.parallel_request(tool, sets, rng, template=template, voicing=voice), [tool],
                         [Step(tool_calls=[ToolCall(name=tool.name, arguments=a) for a in sets])], self.name, template)

        if style == "parallel_multiple" and cfg.task_rate > 0 and rng.random() < cfg.task_rate:
            return self._task_list(main, pool, seed_tools, seed_ids, rng, template)

        if style == "parallel_multiple":
            others = [e for e in pool if e.name != main.name] if seed_tools else self.library.sample(
                rng, 2, mixed=rng.random() < cfg.mixed_category_rate, require=main)[1:]
            others = [o for o in others if o.tool.properties]
            if not others:
                raise DraftError("parallel_multiple needs two callable tools")
            called = [main, *rng.sample(others, min(len(others), rng.randint(1, 2)))]
            calls: list[ToolCall] = []
            requests: list[str] = []
            budget = cfg.max_parallel_calls + 1
            for entry in called:
                count = 2 if (budget - len(calls) > len(called) and rng.random() < 0.3) else 1
                part_calls, said = self._part(entry, count, rng, template)
                calls += part_calls
                requests.append(said)
            tools = self._offered(rng, called, seed_tools)
            return Draft(style, phrasing.combine_requests(requests, rng), tools, [Step(tool_calls=calls)],
                         self.name, template, seed_ids)

        if style == "irrelevance":
            args = sample_arguments(tool.parameters, rng, optional_rate=cfg.optional_rate, **self.rates)
            candidates: list[LibraryTool] = []
            if cfg.irrelevance_near_miss_rate > 0 and rng.random() < cfg.irrelevance_near_miss_rate:
                # a near miss: tools of the withheld tool's own category, none of which serves the request
                candidates = self.library.near_misses(main)
            candidates = candidates or self.library.outside([main.category]) or [
                e for e in self.library.entries if e.name != main.name]
            k = min(len(candidates), rng.randint(1, max(1, cfg.max_tools - 1)))
            offered = [e.tool for e in rng.sample(candidates, k)]
            query = phrasing.request(tool, args, rng, template=template, voicing=voice)
            step = Step(response=phrasing.irrelevance_response(phrasing.intent_of(tool)))
            return Draft(style, query, offered, [step], self.name, template,
                         extra={"withheld_tool": tool.name})

        if style == "missing_parameter":
            required = [p for p in tool.required if p in tool.properties]
            if not required:
                raise DraftError(f"{tool.name} has no required parameter to leave out")
            args = sample_arguments(tool.parameters, rng, optional_rate=cfg.optional_rate, **self.rates)
            missing = [rng.choice(required)]
            given = {k: v for k, v in args.items() if k not in missing}
            query = phrasing.request(tool, given, rng, template=template, voicing=voice)
            if phrasing.voice_value(args[missing[0]]).lower() in query.lower():
                raise DraftError("the left-out value appears in the query anyway")
            steps = [Step(response=phrasing.clarification_question(tool, missing))]
            if cfg.clarification_followup:
                steps[0].user_input = phrasing.clarification_answer(tool, args, missing, rng)
                steps.append(Step(tool_calls=[ToolCall(name=tool.name, arguments=args)]))
            return Draft(style, query, [tool], steps, self.name, template, extra={"missing": missing})

        raise ValueError(f"unknown style {style!r}")


__all__ = ["STYLE_CATEGORY", "Draft", "DraftError", "TemplateDrafter"]
