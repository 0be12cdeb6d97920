"""APIGen-style function-calling data synthesis (see docs/SYNTHESIS.md).

    from xlam.synthesis import SynthesisConfig, run_synthesis
    report = run_synthesis("default", "data/synth", SynthesisConfig(n=200), rejects_uri="data/synth-rejects")
"""

from xlam.synthesis.config import ALL_STYLES, Style, SynthesisConfig
from xlam.synthesis.drafts import STYLE_CATEGORY, Draft, TemplateDrafter
from xlam.synthesis.library import LibraryTool, ToolLibrary, load_tool_library
from xlam.synthesis.runner import SeedPool, Synthesizer, pass_rate_table, run_synthesis

__all__ = [
    "ALL_STYLES",
    "STYLE_CATEGORY",
    "Draft",
    "LibraryTool",
    "SeedPool",
    "Style",
    "SynthesisConfig",
    "Synthesizer",
    "TemplateDrafter",
    "ToolLibrary",
    "load_tool_library",
    "pass_rate_table",
    "run_synthesis",
]
