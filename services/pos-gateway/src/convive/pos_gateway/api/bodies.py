"""What the pos-gateway's request bodies have in common."""

from pydantic import BaseModel, ConfigDict, Field


class Body(BaseModel):
    # An unexpected field is refused: a client sending e.g. a card number under another name
    # must hear about it rather than have it silently dropped.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Amount(Body):
    amount_minor: int = Field(ge=0, description="amount in minor units, e.g. cents")
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code")
