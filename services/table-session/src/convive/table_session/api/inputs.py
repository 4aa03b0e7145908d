"""What the requests of every audience share: the base of the request bodies (surrounding blanks
stripped) and the path parameters naming a venue, a spot or a session."""

from __future__ import annotations

from typing import Annotated

from litestar.params import PathParameter
from pydantic import BaseModel, ConfigDict

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$"
VenueId = Annotated[str, PathParameter(pattern=ID_PATTERN, description="the venue's id")]
SpotId = Annotated[str, PathParameter(max_length=200)]
SessionId = Annotated[str, PathParameter(max_length=200)]


class Body(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, frozen=True)
