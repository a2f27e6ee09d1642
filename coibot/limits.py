"""Resource limits for untrusted documents, shared by intake and the reader."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Limits(BaseModel):
    """Caps applied to every document before and while it is parsed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_attachment_bytes: int = Field(default=50 * 1024 * 1024, gt=0)
    max_pages: int = Field(default=20, gt=0)
    parse_timeout_seconds: float = Field(default=60.0, gt=0)
    parser_memory_mb: int = Field(default=1024, gt=64)
    max_image_pixels: int = Field(default=60_000_000, gt=0)
