"""The layout document `books/<id>/layout/book.yaml`: trim, fonts, page order, story text.

It is the only input of the layout step besides the art, so every choice a printer or a
reader cares about is here and nowhere else. Lengths are inches when given as a number, or
a string with a unit (`"0.125in"`, `"3mm"`, `"9pt"`). Unknown keys are errors.

`LAYOUT_EXAMPLE` below is a complete example (every key but `title` has a default); it is
also the example in `artfarm schema layout`.

Art the layout reads (made by the render pipeline): `pages/NNNN/print/print.png` for
`layout/pages.pdf`; for `layout/proof.pdf` the best that exists (print, final, a selected
draft, else a placeholder with the `scene` of `pages/NNNN/renderspec.json`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BeforeValidator, ConfigDict, Field, WithJsonSchema

from artfarm.documents.reader import parse_model, read_yaml
from artfarm.documents.renderspec import Strict
from artfarm.problems import ArtfarmError, Problem

LAYOUT_EXAMPLE = """\
title: The Gingerbear
author: Ada Writer
trim: 8.5x8.5            # or 8x10, 8.5x11, 8x8, 10x8, or {width: 210mm, height: 210mm}
bleed: 0.125             # inches beyond the trim on every outer edge
safe_margin: 0.5         # text stays this far inside the trim ...
gutter: 0.25             # ... plus this much more at the binding edge
paper: white             # white | cream | color (sets the spine caliper)
fonts: {family: Atkinson Hyperlegible, size: 22, min_size: 14, color: "#1b1b1b"}
dedication: For everyone who shares their snacks.
order: [title, copyright, dedication, story, end]   # copyright lists the pinned models
title_art: 1             # vignette on the title page (default: the cover art; 'none': none)
end_art: 2               # vignette on the end page (default: none)
title_focus: auto        # where the vignette's window sits: auto (the detail) | top | middle | bottom
copyright: {holder: Ada Writer, year: 2026}
pages:
  - page: 1              # art comes from pages/0001/
    text: Bear woke up hungry.
    placement: auto      # auto (calmest part of the art) | top | bottom | left | right | over
    style: panel         # panel (box behind the text) | outline | plain
  - page: 2
    text: Across the creek they went!
    spread: true         # art spans two facing pages (starts on a left-hand page)
cover:
  art: 1                 # a story page number, or a path inside the book
  back_text: A warm story about sharing.
"""
DEFAULT_FONT = "Atkinson Hyperlegible"
POINTS_PER = {"in": 72.0, "mm": 72.0 / 25.4, "cm": 72.0 / 2.54, "pt": 1.0}
TRIM_PRESETS: dict[str, tuple[float, float]] = {
    "8.5x8.5": (8.5, 8.5),
    "8x10": (8.0, 10.0),
    "8.5x11": (8.5, 11.0),
    "8x8": (8.0, 8.0),
    "10x8": (10.0, 8.0),
}
# Thickness of one leaf (two pages) is counted per page by print-on-demand printers (KDP).
CALIPER_IN_PER_PAGE = {"white": 0.002252, "cream": 0.0025, "color": 0.002347}
_LENGTH = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(in|mm|cm|pt)\s*$")
_HEX = r"^#[0-9a-fA-F]{6}$"


def parse_length(value: Any) -> Any:
    """Turn `0.125`, `"0.125in"`, `"3mm"`, `"9pt"` into inches; leave anything else to fail."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        match = _LENGTH.match(value)
        if not match:
            raise ValueError(f"{value!r} is not a length; write e.g. 0.125, '0.125in', '3mm'")
        number, unit = match.groups()
        return float(number) * POINTS_PER[unit] / 72.0
    return value


Length = Annotated[
    float,
    BeforeValidator(parse_length),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "description": "inches"},
                {"type": "string", "pattern": r"^\d+(\.\d+)?\s*(in|mm|cm|pt)$"},
            ]
        }
    ),
]
BarcodeSide = Annotated[float, Field(ge=0, le=6)]
Color = Annotated[str, Field(pattern=_HEX, description="Hex colour, e.g. '#1b1b1b'.")]


class Trim(Strict):
    """Finished page size after cutting, without bleed."""

    width: Length = Field(gt=0, le=48, description="Trim width (inches or with a unit).")
    height: Length = Field(gt=0, le=48, description="Trim height (inches or with a unit).")


def parse_trim(value: Any) -> Any:
    """Accept a preset name such as '8.5x8.5' besides an explicit {width, height}."""
    if isinstance(value, str):
        if value not in TRIM_PRESETS:
            names = ", ".join(TRIM_PRESETS)
            raise ValueError(
                f"unknown trim preset {value!r}; use one of {names} or {{width, height}}"
            )
        width, height = TRIM_PRESETS[value]
        return {"width": width, "height": height}
    return value


TrimField = Annotated[
    Trim,
    BeforeValidator(parse_trim),
    WithJsonSchema(
        {
            "anyOf": [
                {"enum": list(TRIM_PRESETS)},
                {
                    "type": "object",
                    "properties": {"width": {}, "height": {}},
                    "required": ["width", "height"],
                    "additionalProperties": False,
                },
            ]
        }
    ),
]


class Fonts(Strict):
    """One family for the whole book keeps it calm; the files must ship with artfarm or the book."""

    family: str = Field(
        default=DEFAULT_FONT,
        min_length=1,
        description="Font family name as the font file names it (Atkinson Hyperlegible ships).",
    )
    files: list[str] = Field(
        default_factory=list,
        description="Extra .ttf/.otf files inside the book (e.g. fonts/Andika-Regular.ttf).",
    )
    size: float = Field(default=22, ge=6, le=96, description="Story text size in points.")
    min_size: float = Field(
        default=14, ge=6, le=96, description="Shrink-to-fit stops here; below it layout fails."
    )
    color: Color = Field(default="#1b1b1b", description="Story text colour.")
    title_size: float = Field(default=44, ge=8, le=160, description="Title page size in points.")
    leading: float = Field(default=0.65, ge=0.1, le=2, description="Line gap in em.")
    measure: float = Field(
        default=24,
        ge=8,
        le=80,
        description="Longest line in em of fonts.size: short lines are easy to read aloud.",
    )


PageKind = Literal["title", "copyright", "dedication", "story", "end"]
VignetteFocus = Literal["auto", "top", "middle", "bottom"]  # layout/focus.py
PROVENANCE_NOTE = (
    "The pictures were made with artfarm on a local ComfyUI from the models listed here; "
    "each one's spec, graph, seeds and model hashes are kept with the book."
)


class Copyright(Strict):
    """The copyright page (add 'copyright' to order): title, holder, year, models, provenance."""

    holder: str | None = Field(
        default=None, max_length=200, description="Copyright holder (none → author)."
    )
    year: int | None = Field(
        default=None, ge=1900, le=9999, description="Year of the notice (none → this year)."
    )
    note: str = Field(
        default=PROVENANCE_NOTE, max_length=400, description="One-line provenance note."
    )


class StoryPage(Strict):
    """One story page: its art comes from `pages/NNNN/`, its text is set here."""

    page: int = Field(ge=1, le=9999, description="Page number; art is read from pages/NNNN/.")
    text: str = Field(
        default="", max_length=2000, description="Story text; blank lines split paragraphs."
    )
    placement: Literal["auto", "top", "bottom", "left", "right", "over"] = Field(
        default="auto",
        description="Where the text sits inside the safe area. auto: the calmest part of the "
        "art where the text fits at its size, among the spec's calm spaces ('calm space at "
        "the top') or else bottom, top, left, right; any other value pins it "
        "('over' centres it on the art).",
    )
    style: Literal["panel", "outline", "plain"] = Field(
        default="panel",
        description="panel: a box behind the text; outline: a halo around the letters.",
    )
    panel_color: Color = Field(default="#ffffff", description="Colour of the panel or halo.")
    panel_opacity: float = Field(default=0.7, ge=0, le=1, description="0 clear … 1 opaque.")
    align: Literal["left", "center", "right"] = Field(
        default="center",
        description="Text alignment (unset: centred, flush left in a left or right column).",
    )
    spread: bool = Field(
        default=False,
        description="Art spans two facing pages (needs an even, left-hand page to start).",
    )
    text_side: Literal["left", "right"] = Field(
        default="left", description="For a spread: which of the two pages carries the text."
    )


class Cover(Strict):
    """Front, spine and back of the cover wrap."""

    art: int | str | None = Field(
        default=None,
        description="Front art: a story page number, or an image path inside the book.",
    )
    back_art: int | str | None = Field(
        default=None, description="Back art (page number or path); none → background colour."
    )
    front_text: str | None = Field(default=None, description="Replaces the title on the front.")
    back_text: str = Field(default="", max_length=1500, description="Blurb on the back.")
    spine_text: str | None = Field(
        default=None, description="Spine text (default: title — author), shown if the spine fits."
    )
    background: Color = Field(default="#f4efe6", description="Cover colour where no art is.")


class Printer(Strict):
    """What the print shop accepts; preflight checks against it."""

    name: str = Field(default="KDP", description="For the report only.")
    min_pages: int = Field(default=24, ge=2, description="Fewer interior pages → a warning.")
    min_ppi: int = Field(default=300, ge=72, description="Effective resolution required.")
    min_spine_text_in: float = Field(
        default=0.25, ge=0, description="Spine text only on a spine at least this wide (inches)."
    )
    barcode: tuple[BarcodeSide, BarcodeSide] = Field(
        default=(2.0, 1.2),
        description="[width, height] in inches of the clear area the printer puts the barcode "
        "in, at the foot of the back cover by the spine ([0, 0]: none).",
    )


class LayoutSpec(Strict):
    """Everything the layout step needs besides the art (books/<id>/layout/book.yaml).

    Lengths are inches when a number, or a string with a unit ('0.125in', '3mm', '9pt').
    Unknown keys are errors. `examples` holds a complete book.yaml.
    """

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [yaml.safe_load(LAYOUT_EXAMPLE)]}
    )

    title: str = Field(min_length=1, max_length=200, description="Book title (title page, cover).")
    subtitle: str | None = Field(
        default=None, max_length=200, description="Under the title on the title page."
    )
    author: str | None = Field(
        default=None, max_length=200, description="Author line (title page, cover, spine)."
    )
    language: str = Field(
        default="en", pattern=r"^[a-z]{2,3}$", description="ISO 639 code, for line breaking."
    )
    trim: TrimField = Field(
        default_factory=lambda: Trim(width=8.5, height=8.5),
        description="Preset (8.5x8.5, 8x10, 8.5x11, 8x8, 10x8) or {width, height}.",
    )
    bleed: Length = Field(default=0.125, ge=0, le=1, description="Art beyond the trim, per edge.")
    safe_margin: Length = Field(
        default=0.5, ge=0, le=4, description="Text stays this far inside the trim edge."
    )
    gutter: Length = Field(
        default=0.25,
        ge=0,
        le=2,
        description="Extra margin at the binding edge, added to safe_margin.",
    )
    paper: Literal["white", "cream", "color"] = Field(
        default="white", description="Paper stock; sets the spine caliper per page."
    )
    fonts: Fonts = Field(
        default_factory=Fonts, description="Family, sizes and colour of the story text."
    )
    dedication: str | None = Field(
        default=None, max_length=500, description="Text of the dedication page (none → no page)."
    )
    end_text: str = Field(default="The End", max_length=200, description="Text of the end page.")
    title_art: int | str | None = Field(
        default=None,
        description="Vignette above the title: a story page number or an image inside the book; "
        "none → the cover's front art; 'none' → no picture.",
    )
    end_art: int | str | None = Field(
        default=None,
        description="Vignette above the end text: a story page number or an image inside the "
        "book; none → no picture.",
    )
    title_focus: VignetteFocus = Field(
        default="auto",
        description="Where the title vignette's landscape window sits on portrait art: auto "
        "(over the picture's detail: its characters), top, middle or bottom.",
    )
    end_focus: VignetteFocus = Field(
        default="auto",
        description="Where the end vignette's window sits: auto, top, middle or bottom.",
    )
    order: list[PageKind] = Field(
        default_factory=lambda: ["title", "dedication", "story", "end"],
        description="Order of the interior; 'dedication' is skipped when there is none; "
        "'copyright' adds a copyright page listing the models pinned in book_config.yaml "
        "with their licences.",
    )
    copyright: Copyright = Field(
        default_factory=Copyright,
        description="Holder, year and provenance note of the copyright page.",
    )
    page_numbers: bool = Field(
        default=True,
        description="Print folios (page numbers) on story pages; on pages whose art fills "
        "the page only with folios_on_art.",
    )
    folios_on_art: bool = Field(
        default=False,
        description="Folios on full-bleed art too (off: picture-book practice, no number "
        "sits on the pictures).",
    )
    pages: list[StoryPage] = Field(
        default_factory=list, description="Story pages in reading order."
    )
    cover: Cover = Field(
        default_factory=Cover, description="Front art and text, back blurb, spine, colour."
    )
    printer: Printer = Field(
        default_factory=Printer, description="What the print shop accepts (preflight)."
    )

    def story(self, page: int) -> StoryPage:
        return next(p for p in self.pages if p.page == page)


def load_layout_spec(path: str | Path, root: Path | None = None) -> LayoutSpec:
    """Read and validate book.yaml, raising one ArtfarmError that lists every problem found.

    `root` is the book folder the file must stay in (default: the folder above layout/).
    """
    path = Path(path)
    data = read_yaml(path, root=root or path.parent.parent)
    if not isinstance(data, dict):
        raise ArtfarmError.single(
            str(path), "", "book.yaml must be a mapping (key: value)", "start with `title: ...`"
        )
    spec = parse_model(LayoutSpec, data, path, "layout")
    problems = consistency_problems(spec, str(path))
    if problems:
        raise ArtfarmError(problems)
    return spec


def consistency_problems(spec: LayoutSpec, file: str) -> list[Problem]:
    """Rules that span fields: unique pages, a sane text size range, order without repeats."""
    problems: list[Problem] = []
    seen: dict[int, int] = {}
    for i, page in enumerate(spec.pages):
        if page.page in seen:
            problems.append(
                Problem(
                    file,
                    f"pages[{i}].page",
                    f"page {page.page} is listed twice (also pages[{seen[page.page]}])",
                    "give each story page its own number",
                )
            )
        seen.setdefault(page.page, i)
    if spec.fonts.min_size > spec.fonts.size:
        problems.append(
            Problem(
                file,
                "fonts.min_size",
                f"min_size {spec.fonts.min_size} is larger than size {spec.fonts.size}",
                "make min_size at most size",
            )
        )
    repeated = sorted({k for k in spec.order if spec.order.count(k) > 1})
    if repeated:
        problems.append(
            Problem(file, "order", f"{', '.join(repeated)} listed more than once", "list each once")
        )
    if "story" not in spec.order:
        problems.append(Problem(file, "order", "'story' is missing", "add 'story' to order"))
    problems += _art_pages_outside_the_book(spec, file)
    margin = spec.safe_margin + spec.gutter
    if 2 * margin >= min(spec.trim.width, spec.trim.height):
        problems.append(
            Problem(
                file,
                "safe_margin",
                "safe margin and gutter leave no room for text",
                "use a smaller safe_margin or gutter",
            )
        )
    return problems


def _art_pages_outside_the_book(spec: LayoutSpec, file: str) -> list[Problem]:
    """Cover, title and end art that name a page number the layout does not have."""
    pages = sorted(p.page for p in spec.pages)
    named = {
        "cover.art": spec.cover.art,
        "cover.back_art": spec.cover.back_art,
        "title_art": spec.title_art,
        "end_art": spec.end_art,
    }
    listed = ", ".join(map(str, pages[:12])) + (" …" if len(pages) > 12 else "")
    return [
        Problem(
            file,
            field,
            f"page {value} is not a story page of this book (pages: {listed or 'none'})",
            "name one of its pages, an image file inside the book, or leave it out",
        )
        for field, value in named.items()
        if isinstance(value, int) and not isinstance(value, bool) and value not in pages
    ]
