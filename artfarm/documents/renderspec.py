"""RenderSpec: the structured render job an agent writes per page (`pages/NNNN/renderspec.json`).

It is the seed's schema plus what a real book needs (draft burst size, refine variants,
negative additions). Unknown keys are errors: a typo must not be silently dropped.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SEED_MAX = 2**64 - 1
ID_PATTERN = r"^[a-z][a-z0-9_]*$"
BOOK_ID_PATTERN = r"^[a-z0-9_]+$"

Identifier = Annotated[str, Field(pattern=ID_PATTERN, max_length=64)]
ShortText = Annotated[str, Field(min_length=1, max_length=200)]
Shot = Literal["extreme wide", "wide", "medium", "medium close-up", "close-up"]


class Strict(BaseModel):
    """Base of every document model: unknown keys are an error, values are not coerced silently."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)
    # Numbers that count or identify (page, seed, counts) are `strict=True`: "1234" is a
    # mistake in a document, not a number to guess.


class CharacterInScene(Strict):
    id: Identifier = Field(description="A character id from bible/characters.yaml.")
    pose: ShortText = Field(description="What the body does, e.g. 'carefully stepping'.")
    emotion: ShortText = Field(description="What the face shows, e.g. 'focused'.")


class Camera(Strict):
    shot: Shot = Field(description="Framing: how much of the scene the page shows.")
    angle: ShortText = Field(description="e.g. 'eye level', 'slightly above', 'low angle'.")
    lens: ShortText = Field(description="Look of the lens, e.g. 'storybook', 'wide-angle'.")


class Environment(Strict):
    time: ShortText = Field(description="Time of day, e.g. 'golden hour', 'night'.")
    weather: ShortText = Field(description="e.g. 'clear', 'light snow'.")
    location: ShortText = Field(description="e.g. 'forest creek'.")


class Refs(Strict):
    style: list[str] = Field(
        default_factory=list,
        description="Style reference images, paths relative to the book folder.",
    )
    characters: dict[Identifier, list[str]] = Field(
        default_factory=dict,
        description="Per character id, reference sheets relative to the book folder.",
    )


class RenderSpec(Strict):
    """One page's render job. `page` must agree with its folder name (pages/NNNN)."""

    book_id: str = Field(pattern=BOOK_ID_PATTERN, description="The book folder's name.")
    page: int = Field(
        ge=1, le=9999, strict=True, description="Page number; equals the NNNN folder name."
    )
    intent: Literal["illustration", "spread", "spot", "cover"] = Field(
        description="What the art is for: a page illustration, a two-page spread, a spot, a cover."
    )
    scene: str = Field(
        min_length=3, max_length=400, description="One line saying what happens in the picture."
    )
    characters: list[CharacterInScene] = Field(
        default_factory=list, description="Who is in the picture, each with pose and emotion."
    )
    camera: Camera
    environment: Environment
    constraints: list[ShortText] = Field(
        default_factory=list,
        description="Rules the style pack maps to prompt words, e.g. 'no text', 'kid-friendly'.",
    )
    style_pack: str = Field(pattern=BOOK_ID_PATTERN, description="Must equal the book's pin.")
    refs: Refs = Field(default_factory=Refs)
    seed: int = Field(ge=0, le=SEED_MAX, strict=True, description="Draft seed, 0..2^64-1.")
    candidates: int = Field(
        default=8,
        ge=1,
        le=16,
        strict=True,
        description="Draft burst size: candidates rendered in one job.",
    )
    refine_variants: int = Field(
        default=2,
        ge=1,
        le=3,
        strict=True,
        description="Refined variants made from each selected draft.",
    )
    negative_extra: list[ShortText] = Field(
        default_factory=list, description="Extra negative prompt words for this page only."
    )

    @model_validator(mode="after")
    def _characters_are_unique_and_refs_match(self) -> RenderSpec:
        ids = [c.id for c in self.characters]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"characters lists {', '.join(duplicates)} more than once")
        stray = sorted(set(self.refs.characters) - set(ids))
        if stray:
            raise ValueError(
                f"refs.characters names {', '.join(stray)}, who is not in this page's characters"
            )
        return self

    def character_ids(self) -> list[str]:
        return [c.id for c in self.characters]
