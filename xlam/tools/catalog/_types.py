"""Annotated argument types shared by the catalog tools.

Each alias carries JSON-Schema constraints (ranges, lengths, formats, examples) through pydantic's
``Field`` metadata, so :func:`xlam.tools.harvest.tool_from_callable` turns them into precise parameter
schemas and the template synthesizer can draw valid values from the schema alone.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

Number = Annotated[float, Field(ge=-1e6, le=1e6)]
PositiveNumber = Annotated[float, Field(gt=0, le=1e6)]
NonNegativeNumber = Annotated[float, Field(ge=0, le=1e6)]
Probability = Annotated[float, Field(ge=0, le=1)]
Angle = Annotated[float, Field(ge=-360, le=360)]
Percent = Annotated[float, Field(ge=0, le=100)]
SmallInt = Annotated[int, Field(ge=0, le=60)]
PositiveInt = Annotated[int, Field(ge=1, le=10_000)]
Count = Annotated[int, Field(ge=1, le=20)]
AnyInt = Annotated[int, Field(ge=-100_000, le=100_000)]
Year = Annotated[int, Field(ge=1900, le=2100)]
Month = Annotated[int, Field(ge=1, le=12)]
Days = Annotated[int, Field(ge=-3650, le=3650)]

NumberList = Annotated[list[float], Field(min_length=2, max_length=12)]
IntList = Annotated[list[int], Field(min_length=2, max_length=12)]
StringList = Annotated[list[str], Field(min_length=2, max_length=8)]

IsoDate = Annotated[str, Field(json_schema_extra={"format": "date"}, examples=["2024-03-15"])]
IsoDateTime = Annotated[str, Field(json_schema_extra={"format": "date-time"}, examples=["2024-03-15T09:30:00"])]
Text = Annotated[str, Field(min_length=1, max_length=2000, examples=["Five boxing wizards pack a dozen jugs of liquor quickly."])]
Word = Annotated[str, Field(min_length=1, max_length=40, examples=["level"])]
Pattern = Annotated[str, Field(min_length=1, max_length=200, examples=[r"\d+", r"[A-Z][a-z]+"])]
JsonText = Annotated[str, Field(min_length=2, max_length=4000, examples=['{"name": "Ada", "age": 36}'])]
Timezone = Literal["UTC", "Europe/London", "Europe/Paris", "Europe/Berlin", "America/New_York", "America/Chicago",
                   "America/Los_Angeles", "Asia/Tokyo", "Asia/Kolkata", "Australia/Sydney"]
