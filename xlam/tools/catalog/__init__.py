"""The built-in catalog of executable tools: one module per category.

Every public function of these modules is typed and documented so that
:func:`xlam.tools.harvest.tool_from_callable` can turn it into a tool spec; each module names its
category in ``CATEGORY``. The callables stay importable as ``"xlam.tools.catalog.<module>:<name>"``,
which is what the sandbox executes.

The subpackage :mod:`xlam.tools.catalog.domains` holds a second, separate catalog of everyday and
knowledge-domain tools over seeded synthetic data (hotels, travel, sports, history, chemistry...);
it is not part of ``CATALOG_MODULES`` (the ``default`` tools source) but its own ``domains`` source.
"""

CATALOG_MODULES: tuple[str, ...] = (
    "xlam.tools.catalog.math_tools",
    "xlam.tools.catalog.statistics_tools",
    "xlam.tools.catalog.datetime_tools",
    "xlam.tools.catalog.text_tools",
    "xlam.tools.catalog.json_tools",
    "xlam.tools.catalog.regex_tools",
    "xlam.tools.catalog.collections_tools",
    "xlam.tools.catalog.units",
    "xlam.tools.catalog.finance",
    "xlam.tools.catalog.geometry",
    "xlam.tools.catalog.numeric",
    "xlam.tools.catalog.scientific",
)

__all__ = ["CATALOG_MODULES"]
