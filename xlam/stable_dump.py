"""Config models whose dumps stay stable as fields are added.

``xlam.experiments`` keys its data sets by the hash of the dumped data recipe, so a field added to a
recipe model later would give every existing data set a new key. A model derived from
:class:`StableDumpModel` names such fields in ``added_later``: they are left out of a dump while they hold
their default, so configs that do not use them dump, and hash, exactly as before the fields existed.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, SerializerFunctionWrapHandler, model_serializer


class StableDumpModel(BaseModel):
    """A model whose ``added_later`` fields are dumped only when set to something other than their default."""

    added_later: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def without_later_defaults(cls, data: dict[str, Any]) -> dict[str, Any]:
        """``data`` (this model's dump, or a dict edited after it) without the ``added_later`` fields that
        hold their default."""
        return {k: v for k, v in data.items() if not (k in cls.added_later and v == cls.model_fields[k].default)}

    @model_serializer(mode="wrap")
    def _leave_out_later_defaults(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return self.without_later_defaults(handler(self))


__all__ = ["StableDumpModel"]
