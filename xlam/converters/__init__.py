"""Converters from real agent-data formats into unified records (and back out where lossless).

``CONVERTERS`` maps a source name to its converter; ``run_unify`` converts files into a dataset.
Each module documents its format with a sample.
"""

from xlam.converters import actionstudio, apigen, apigen_mt, bfcl, openai, react, sharegpt, toolbench  # noqa: F401
from xlam.converters.base import Converter, ExportError, FieldError, SourceItem, iter_json_items
from xlam.converters.registry import CONVERTERS, get_converter, register
from xlam.converters.unify import UnifyConfig, export_records, run_unify

__all__ = [
    "CONVERTERS",
    "Converter",
    "ExportError",
    "FieldError",
    "SourceItem",
    "UnifyConfig",
    "export_records",
    "get_converter",
    "iter_json_items",
    "register",
    "run_unify",
]
