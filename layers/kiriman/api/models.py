"""Request and response bodies shared by several routers."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=120)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
Country = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{2}$")]


class StrictBody(BaseModel):
    """Unknown fields are an error, not silently ignored: a typo should not look like success."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def printable(v: str) -> str:
    if not v.isprintable():
        raise ValueError("must not contain control characters")
    return v


class Page(BaseModel):
    next_cursor: str | None = Field(None, description="Pass as `cursor` to get the next page; null at the end.")


class Deleted(BaseModel):
    deleted: bool = True


__all__ = ["Country", "Deleted", "Label", "Name", "Page", "StrictBody", "Text", "field_validator", "printable"]
