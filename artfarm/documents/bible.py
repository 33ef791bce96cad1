"""The book bible's characters file (`bible/characters.yaml`): one description per character.

Prompts describe characters from here, never from the page spec, so "bear" gets the same
words on every page — the first lever for consistency across 32 pages.

A character's reference sheet is either hand-made (an artist's file, listed in `sheets:`, used
as it is and never written by the pipeline) or rendered (`render_sheet:` present): the
pipeline turns the character's words into a sheet job with its own draft burst, review,
refine and final, ending at `bible/character_refs/<id>.png` (artfarm.pipeline.bible_items).
"""

from __future__ import annotations

from pydantic import Field, model_validator

from artfarm.documents.renderspec import SEED_MAX, Identifier, ShortText, Strict

RENDERED_SHEETS = "bible/character_refs"


class SheetJob(Strict):
    """How the pipeline renders a character's sheet (front, side, expressions, plain ground)."""

    seed: int = Field(ge=0, le=SEED_MAX, strict=True, description="Seed of the sheet's drafts.")
    expressions: list[ShortText] = Field(
        default_factory=lambda: ["happy", "surprised", "sad"],
        min_length=1,
        max_length=6,
        description="Faces shown beside the front and side views.",
    )
    candidates: int = Field(
        default=4, ge=1, le=16, strict=True, description="Draft burst size of the sheet."
    )
    refine_variants: int = Field(
        default=2, ge=1, le=3, strict=True, description="Refined variants per selected draft."
    )


class CharacterEntry(Strict):
    id: Identifier = Field(description="The id pages use in `characters[].id`.")
    name: str = Field(
        min_length=1,
        max_length=40,
        description="Short display name (at most 4 words), used as the figure's label.",
    )
    description: str = Field(
        min_length=3,
        max_length=400,
        description="The words that describe this character in every prompt.",
    )
    negative: str = Field(default="", max_length=300, description="Words to keep away from them.")
    sheets: list[str] = Field(
        default_factory=list,
        description="Hand-made reference sheets (front/side/expressions), paths relative to "
        "the book: used as they are, never overwritten.",
    )
    render_sheet: SheetJob | None = Field(
        default=None,
        description="Present: the pipeline renders this character's sheet from its words to "
        "bible/character_refs/<id>.png (draft burst, review, refine, final).",
    )

    @model_validator(mode="after")
    def _name_is_short(self) -> CharacterEntry:
        if len(self.name.split()) > 4:
            raise ValueError("name must be at most 4 words (it labels the figure)")
        return self

    @model_validator(mode="after")
    def _rendered_sheet_is_not_hand_made(self) -> CharacterEntry:
        if self.render_sheet is not None and self.rendered_sheet in self.sheets:
            raise ValueError(
                f"{self.rendered_sheet} is listed in sheets (hand-made) and rendered: "
                "remove it from sheets, or remove render_sheet to keep the hand-made file"
            )
        return self

    @property
    def rendered_sheet(self) -> str:
        """Where the pipeline puts this character's rendered sheet, relative to the book."""
        return f"{RENDERED_SHEETS}/{self.id}.png"


class Bible(Strict):
    characters: list[CharacterEntry] = Field(description="Every character of the book.")
    forbidden: list[str] = Field(
        default_factory=list,
        description="Elements never to appear in this book; added to every negative prompt.",
    )

    @model_validator(mode="after")
    def _ids_are_unique(self) -> Bible:
        ids = [c.id for c in self.characters]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"character ids must be unique: {', '.join(duplicates)}")
        return self

    def by_id(self) -> dict[str, CharacterEntry]:
        return {c.id: c for c in self.characters}

    def rendered(self) -> list[CharacterEntry]:
        """The characters whose sheet the pipeline renders."""
        return [c for c in self.characters if c.render_sheet is not None]
