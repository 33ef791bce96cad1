"""The book bible's characters file (`bible/characters.yaml`): one description per character.

Prompts describe characters from here, never from the page spec, so "bear" gets the same
words on every page — the first lever for consistency across 32 pages.

A character's reference sheet is either hand-made (an artist's file, listed in `sheets:`, used
as it is and never written by the pipeline) or rendered (`render_sheet:` present): the
pipeline turns the character's words into a sheet job with its own draft burst, review,
refine and final, ending at `bible/character_refs/<id>.png` (artfarm.pipeline.bible_items).

The book's style references ("golden images", `style_refs:`, 3–8 of them) work the same way:
a few scene words each, drawn in the style pack, either hand-made (`image:`) or rendered
(`render:`) to `bible/style_refs/<id>.png`. A page without its own `refs.style` uses the
golden images that list it in `pages:`, else those that list no pages (`for_page`).
Both rendered kinds are "bible items" (`BibleItem`): `sheet:<id>` and `style:<id>`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field, field_validator, model_validator

from artfarm.documents.reader import load_yaml_model
from artfarm.documents.renderspec import SEED_MAX, Identifier, ShortText, Strict
from artfarm.problems import ArtfarmError

RENDERED_SHEETS = "bible/character_refs"
RENDERED_STYLE_REFS = "bible/style_refs"
SHEET = "sheet"  # a BibleItem kind: a character's sheet
STYLE = "style"  # a BibleItem kind: a golden image (style reference)
GOLDEN_MIN, GOLDEN_MAX = 3, 8
WORK_FOLDERS = {SHEET: "bible/sheets", STYLE: "bible/golden"}
RENDERED_FOLDERS = {SHEET: RENDERED_SHEETS, STYLE: RENDERED_STYLE_REFS}
# the kind of an item from the last folder name of either path (the rules' wildcards)
ITEM_KINDS = {
    **{f.rsplit("/", 1)[1]: k for k, f in WORK_FOLDERS.items()},
    **{f.rsplit("/", 1)[1]: k for k, f in RENDERED_FOLDERS.items()},
}


@dataclass(frozen=True)
class BibleItem:
    """Something the bible asks the pipeline to render: a character sheet or a golden image."""

    kind: str  # SHEET | STYLE
    id: str

    @property
    def label(self) -> str:
        """How commands name it where they name a page: `sheet:<id>` or `style:<id>`."""
        return f"{self.kind}:{self.id}"

    @property
    def folder(self) -> str:
        """Its work folder (drafts, review, refine), relative to the book."""
        return f"{WORK_FOLDERS[self.kind]}/{self.id}"

    @property
    def rendered(self) -> str:
        """Its approved image, relative to the book (what the pages use)."""
        return f"{RENDERED_FOLDERS[self.kind]}/{self.id}.png"


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


class StyleRefJob(Strict):
    """How the pipeline renders one golden image (a scene in the book's style, page-shaped)."""

    seed: int = Field(ge=0, le=SEED_MAX, strict=True, description="Seed of its drafts.")
    candidates: int = Field(default=4, ge=1, le=16, strict=True, description="Draft burst size.")
    refine_variants: int = Field(
        default=2, ge=1, le=3, strict=True, description="Refined variants per selected draft."
    )


class StyleRefEntry(Strict):
    """One golden image: hand-made (`image:`) or rendered from its scene words (`render:`)."""

    id: Identifier = Field(description="Names it: `style:<id>` in review, next and the board.")
    scene: str = Field(
        min_length=3,
        max_length=300,
        description="A few scene words drawn in the style pack (what the golden image shows).",
    )
    characters: list[Identifier] = Field(
        default_factory=list,
        description="Bible characters in the scene (their words join the prompt); none needed.",
    )
    pages: list[int] = Field(
        default_factory=list,
        description="The pages that use it; none: every page that no golden image names.",
    )
    image: str | None = Field(
        default=None,
        description="A hand-made golden image, path relative to the book: used as it is, "
        "never written.",
    )
    render: StyleRefJob | None = Field(
        default=None,
        description="Present: the pipeline renders it to bible/style_refs/<id>.png (draft "
        "burst, review, refine, final).",
    )

    @model_validator(mode="after")
    def _hand_made_or_rendered(self) -> StyleRefEntry:
        if (self.image is None) == (self.render is None):
            raise ValueError(
                "a golden image is either hand-made (image: path) or rendered (render: seed), "
                "exactly one of them"
            )
        if self.image is not None and self.image == self.rendered_path:
            raise ValueError(
                f"{self.image} is where the pipeline renders golden images: name the hand-made "
                "file otherwise, or use render instead of image"
            )
        return self

    @property
    def rendered_path(self) -> str:
        """Where the pipeline puts this golden image once approved, relative to the book."""
        return f"{RENDERED_STYLE_REFS}/{self.id}.png"

    @property
    def path(self) -> str:
        """The file pages use: the hand-made image, else the rendered one."""
        return self.image if self.image is not None else self.rendered_path


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
    style_refs: list[StyleRefEntry] = Field(
        default_factory=list,
        description=f"The book's golden images ({GOLDEN_MIN}–{GOLDEN_MAX}), or none: pages then "
        "take their style only from their own refs.style.",
    )

    @field_validator("style_refs")
    @classmethod
    def _golden_count(cls, refs: list[StyleRefEntry]) -> list[StyleRefEntry]:
        if refs and not GOLDEN_MIN <= len(refs) <= GOLDEN_MAX:
            raise ValueError(
                f"{len(refs)} golden images; a book's style needs {GOLDEN_MIN}–{GOLDEN_MAX} "
                "(add or remove entries, or remove style_refs)"
            )
        ids = [r.id for r in refs]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"golden image ids must be unique: {', '.join(duplicates)}")
        return refs

    @model_validator(mode="after")
    def _golden_characters_exist(self) -> Bible:
        known = {c.id for c in self.characters}
        for ref in self.style_refs:
            unknown = [c for c in ref.characters if c not in known]
            if unknown:
                raise ValueError(
                    f"style_refs[{ref.id}].characters names {', '.join(unknown)}, not in "
                    "characters: add them to the bible or remove them from the golden image"
                )
        return self

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

    def style_by_id(self) -> dict[str, StyleRefEntry]:
        return {r.id: r for r in self.style_refs}

    def rendered_items(self) -> list[BibleItem]:
        """Everything the pipeline renders for the bible: character sheets, then golden images."""
        sheets = [BibleItem(SHEET, c.id) for c in self.rendered()]
        return sheets + [BibleItem(STYLE, r.id) for r in self.style_refs if r.render is not None]

    def for_page(self, page: int) -> list[StyleRefEntry]:
        """The golden images a page uses (when its spec names no style reference): those that
        list the page, else those that list no pages."""
        named = [r for r in self.style_refs if page in r.pages]
        return named or [r for r in self.style_refs if not r.pages]


def rendered_item_constraint(books_dir: Path) -> str:
    """The `item` wildcard of the final rule: only the items each book's bible renders, in
    that book and under the folder of their kind (a hand-made sheet or golden image is never
    an output of any rule). Every Snakemake start reads it (rules/bible_inputs.smk), so it
    lives with the document, not with the pipeline's heavier item code."""
    parts = []
    for bible_file in sorted(books_dir.glob("*/bible/characters.yaml")):
        book_dir = bible_file.parent.parent
        try:
            bible = load_yaml_model(Bible, bible_file, "bible", root=book_dir)
        except (ArtfarmError, OSError):
            continue  # a broken bible renders nothing; validate names the problem
        for kind in (SHEET, STYLE):
            ids = [i.id for i in bible.rendered_items() if i.kind == kind]
            if ids:
                folder = BibleItem(kind, ids[0]).rendered.rsplit("/", 1)[0]
                before = re.escape(f"books/{book_dir.name}/{folder}/")
                parts.append(f"(?<={before})(?:{'|'.join(ids)})")
    return "|".join(parts) or "(?!)"
