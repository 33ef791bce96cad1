"""The book bible's characters file (`bible/characters.yaml`): one description per character.

Prompts describe characters from here, never from the page spec, so "bear" gets the same
words on every page — the first lever for consistency across 32 pages.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from artfarm.documents.renderspec import Identifier, Strict


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
        description="Reference sheets (front/side/expressions), paths relative to the book.",
    )

    @model_validator(mode="after")
    def _name_is_short(self) -> CharacterEntry:
        if len(self.name.split()) > 4:
            raise ValueError("name must be at most 4 words (it labels the figure)")
        return self


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
