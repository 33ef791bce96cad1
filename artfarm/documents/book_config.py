"""A book's own settings (`books/<id>/book_config.yaml`): title, pinned style pack and models.

Pins exist so that a book never changes its look silently mid-way: the style pack by name,
and each model (draft tier, final tier, upscaler, LoRAs, ControlNet) by file name.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from artfarm.documents.renderspec import BOOK_ID_PATTERN, Strict
from artfarm.documents.stylepack import ConstraintWords

BOOK_CONFIG_FILE = "book_config.yaml"


def model_name(value: str) -> str:
    """A pin names a file inside one of the store's folders, never a path out of it."""
    parts = value.split("/")
    if value.startswith(("/", "~")) or "\\" in value:
        raise ValueError("a model pin is a file name in the store's folder, not a path")
    if any(part in ("", ".", "..") for part in parts):
        raise ValueError("a model pin must not contain '..', '.' or empty parts")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError("a model pin must not contain control characters")
    return value


ModelName = Annotated[
    str,
    Field(min_length=1, max_length=255),
    AfterValidator(model_name),
]


class CheckpointPin(Strict):
    checkpoint: ModelName = Field(description="File in models/checkpoints.")
    vae: ModelName | None = Field(default=None, description="Optional file in models/vae.")


class ModelPins(Strict):
    draft: CheckpointPin = Field(description="Fast model for draft bursts (tier A).")
    final: CheckpointPin = Field(description="Quality model for refine, inpaint, upscale (tier B).")
    upscaler: ModelName | None = Field(
        default=None, description="File in models/upscale_models; none → resize + low denoise."
    )
    loras: list[ModelName] = Field(
        default_factory=list, description="LoRA files the style pack may use (all pinned here)."
    )
    controlnet: ModelName | None = Field(default=None, description="File in models/controlnet.")


class RenderSizes(Strict):
    draft_width: int = Field(default=768, ge=64, le=4096, multiple_of=8)
    draft_height: int = Field(default=1024, ge=64, le=4096, multiple_of=8)
    final_width: int = Field(default=1536, ge=64, le=8192, multiple_of=8)
    final_height: int = Field(default=2048, ge=64, le=8192, multiple_of=8)
    print_scale: float = Field(default=2.0, ge=1.0, le=4.0, description="Final → print factor.")


class BookConfig(Strict):
    book_id: str = Field(pattern=BOOK_ID_PATTERN, description="Equals the book folder's name.")
    title: str = Field(min_length=1, max_length=200)
    style_pack: str = Field(pattern=BOOK_ID_PATTERN, description="Pinned style pack name.")
    models: ModelPins
    sizes: RenderSizes = Field(default_factory=RenderSizes)
    constraints: dict[str, ConstraintWords] = Field(
        default_factory=dict,
        description=(
            "The book's own spec constraints → prompt words, added to the style pack's (a key "
            "here wins over the pack's). A key may hold {n}: '{n} characters only' matches "
            "'3 characters only' and 'three characters only'; in its words {n} becomes the "
            "count in words and {next} the ordinal after it ('a {next} character' → 'a fourth "
            "character'). Example: {'{n} ducks in a row': {positive: '{n} ducks in a row', "
            "negative: 'a {next} duck'}, 'no hats': {negative: 'hat, cap'}}."
        ),
    )
