"""Where a page's text goes: the calmest part of the art where the text fits at its size.

A page's allowed placements are the one pinned in layout/book.yaml (`placement: top`), or
for `placement: auto` bottom, top, left and right. The calm spaces its renderspec asks for
("calm space at the top") come first and win unless the art there is clearly busy (the
figures stand elsewhere, and busyness sees edges, not characters); a model does not always
leave the space asked for, so otherwise the calmest placement wins. Every placement's text
box is measured by Typst with the same shrink loop the interior uses (templates/measure.typ), and the busyness of the art under it
is measured with Pillow: edge strength plus luminance spread of a small grey copy —
deterministic, no model. Preflight warns about text over busy art (naming a calmer
placement) and about text that had to shrink (naming the size it reached).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typst
from PIL import Image, ImageFilter, ImageStat

from artfarm.documents.reader import read_json
from artfarm.layout.art import page_dir
from artfarm.layout.geometry import Box
from artfarm.layout.job import LayoutJob
from artfarm.layout.plan import PlannedPage
from artfarm.layout.preflight import Finding
from artfarm.layout.render import TEMPLATES
from artfarm.layout.samples import grey_sample
from artfarm.layout.spec import StoryPage
from artfarm.problems import ArtfarmError

PLACEMENTS = ("top", "bottom", "left", "right", "over")
AUTO = ("bottom", "top", "left", "right")  # 'over' covers the middle: only when pinned
CALM_SPACE = {
    "calm space for text": "top",  # the style packs word it as open sky at the top
    "calm space at the top": "top",
    "calm space at the bottom": "bottom",
    "calm space at the left": "left",
    "calm space at the right": "right",
}
BUSY = 0.12  # busyness at or above this is art a reader's eye would fight with
# The spec asked the model for calm space there, and the figures stand elsewhere: the space
# keeps the text unless clearly busy (the model ignored the request). Busyness sees edges,
# not characters: a flat-painted figure can measure calmer than a sky with clouds.
ASKED_BUSY = 0.3


@dataclass(frozen=True)
class Fit:
    """One placement as Typst measured it: the size reached and the box's height there."""

    size: float
    height: float
    room: float
    width: float

    @property
    def fits(self) -> bool:
        return self.height <= self.room + 0.01


@dataclass(frozen=True)
class Choice:
    """The placement a page's text gets, and what it was chosen from."""

    page: int
    placement: str
    pinned: bool
    candidates: tuple[str, ...]  # the spec's calm spaces first
    fits: Mapping[str, Fit]
    rects: Mapping[str, Box]  # each placement's text box, trim coordinates (points)
    busy: Mapping[str, float] = field(default_factory=dict)  # empty when there is no art
    asked: tuple[str, ...] = ()  # the calm spaces the page's spec asked for (auto only)

    @property
    def size(self) -> float:
        return self.fits[self.placement].size

    @property
    def rect(self) -> Box:
        return self.rects[self.placement]


def calm_placements(book_root: Path, page: int) -> tuple[str, ...]:
    """Placements the page's renderspec asks calm space for, in its order (none if unreadable)."""
    try:
        data = read_json(page_dir(book_root, page) / "renderspec.json", root=book_root)
    except ArtfarmError:
        return ()
    words = data.get("constraints") if isinstance(data, dict) else None
    found: list[str] = []
    for word in words if isinstance(words, list) else []:
        place = CALM_SPACE.get(str(word).strip().lower())
        if place and place not in found:
            found.append(place)
    return tuple(found)


def candidates_of(job: LayoutJob, page: PlannedPage) -> tuple[tuple[str, ...], bool]:
    """The placements allowed for a page's text (the spec's calm spaces first), and whether
    book.yaml pinned one."""
    assert page.story is not None
    if page.story.placement != "auto":
        return (page.story.placement,), True
    calm = calm_placements(job.root, page.story.page)
    return calm + tuple(p for p in AUTO if p not in calm), False


def text_pages(job: LayoutJob) -> list[PlannedPage]:
    return [p for p in job.plan.pages if p.has_text and p.story and p.story.text.strip()]


def folio_on(job: LayoutJob, page: PlannedPage) -> bool:
    """Whether a page prints its folio: story pages that carry text, and since a story page's
    art fills it (full bleed), only with folios_on_art; the interior uses this same rule."""
    spec = job.spec
    return bool(page.story and spec.page_numbers and spec.folios_on_art and page.has_text)


def text_record(job: LayoutJob, page: PlannedPage, placement: str) -> dict[str, Any]:
    """What the templates need to set a page's text (the interior's `text` field)."""
    story = page.story
    assert story is not None
    return {
        "body": story.text.strip(),
        "placement": placement,
        "style": story.style,
        "panel_color": story.panel_color,
        "panel_opacity": story.panel_opacity,
        "align": alignment(story, placement),
    }


def alignment(story: StoryPage, placement: str) -> str:
    """The page's `align`, else centred, and flush left in a side column (a ragged centred
    column is hard to read aloud)."""
    if "align" in story.model_fields_set:
        return story.align
    return "left" if placement in ("left", "right") else "center"


def measure_texts(job: LayoutJob, pages: list[PlannedPage]) -> dict[int, dict[str, Any]]:
    """Typst's measure of each text in every placement: {page: {reserve, fits}}."""
    if not pages:
        return {}
    safe = job.geometry.safe_box(True)
    fonts = job.spec.fonts
    data = {
        "lang": job.spec.language,
        "area": {"w": safe.w, "h": safe.h},
        "placements": list(PLACEMENTS),
        "fonts": {
            "family": job.fonts.family,
            "size": fonts.size,
            "min_size": fonts.min_size,
            "color": fonts.color,
            "leading": fonts.leading,
            "measure": fonts.measure,
        },
        "items": [
            {
                "page": p.story.page,
                "folio": folio_on(job, p),
                "text": text_record(job, p, "bottom"),
            }
            for p in pages
            if p.story
        ],
    }
    try:
        raw = typst.query(
            str(TEMPLATES / "measure.typ"),
            "<artfarm-measure>",
            field="value",
            one=True,
            root="/",
            font_paths=job.fonts.font_paths,
            ignore_system_fonts=True,
            sys_inputs={"book": json.dumps(data, ensure_ascii=False)},
        )
    except typst.TypstError as err:
        raise ArtfarmError.single(
            job.spec_file, "pages", f"measuring the story text failed: {err}", "report this bug"
        ) from None
    return {item["page"]: item for item in json.loads(raw)}


def text_rect(placement: str, fit: Fit, safe: Box, reserve: float) -> Box:
    """The text box of a placement in trim coordinates, as fitted-text in common.typ places it."""
    w, h = fit.width, fit.height
    if placement == "top":
        x, y = (safe.w - w) / 2, 0.0
    elif placement == "bottom":
        x, y = (safe.w - w) / 2, safe.h - reserve - h
    elif placement == "left":
        x, y = 0.0, (safe.h - h) / 2
    elif placement == "right":
        x, y = safe.w - w, (safe.h - h) / 2
    else:
        x, y = (safe.w - w) / 2, (safe.h - h) / 2
    return Box(safe.x + x, safe.y + y, w, h)


def busyness(sample: Image.Image, art: Box, rect: Box) -> float:
    """Edge strength plus half the luminance spread under `rect`, on 0 (flat) … about 1."""
    sx, sy = sample.width / art.w, sample.height / art.h
    left = max(0, round((rect.x - art.x) * sx))
    top = max(0, round((rect.y - art.y) * sy))
    right = min(sample.width, round((rect.x + rect.w - art.x) * sx))
    bottom = min(sample.height, round((rect.y + rect.h - art.y) * sy))
    if right - left < 2 or bottom - top < 2:
        return 0.0
    region = sample.crop((left, top, right, bottom))
    # Edges of the region alone: a 1-px frame keeps the crop border from counting as an edge.
    edges = region.filter(ImageFilter.FIND_EDGES).crop((1, 1, region.width - 1, region.height - 1))
    edge = ImageStat.Stat(edges).mean[0] / 255
    spread = ImageStat.Stat(region).stddev[0] / 255
    return round(min(1.0, 2 * edge + 0.5 * spread), 3)


def pick(
    candidates: tuple[str, ...],
    fits: Mapping[str, Fit],
    busy: Mapping[str, float],
    size: float,
    asked: tuple[str, ...] = (),
) -> str:
    """Where the text fits at full size: the first calm space the spec `asked` for that is not
    clearly busy in the art, else the calmest candidate; if none, the one keeping the text
    largest."""
    full = [c for c in candidates if fits[c].fits and fits[c].size >= size]
    kept = [c for c in asked if c in full and busy.get(c, 0.0) < ASKED_BUSY]
    if kept:
        return kept[0]
    if full:
        return min(full, key=lambda c: busy.get(c, 0.0))
    shrunk = [c for c in candidates if fits[c].fits]
    if shrunk:
        return max(shrunk, key=lambda c: (fits[c].size, -busy.get(c, 0.0)))
    return candidates[0]  # nothing fits: the interior reports the overflow of this one


def choose_placements(
    job: LayoutJob, art: Mapping[int, tuple[Path | None, Box]]
) -> dict[int, Choice]:
    """Each text page's placement; `art` maps a physical page number to its image and box."""
    pages = text_pages(job)
    measured = measure_texts(job, pages)
    choices: dict[int, Choice] = {}
    for page in pages:
        assert page.story is not None
        item = measured[page.story.page]
        fits = {name: Fit(**value) for name, value in item["fits"].items()}
        safe = job.geometry.safe_box(page.recto)
        rects = {name: text_rect(name, fit, safe, item["reserve"]) for name, fit in fits.items()}
        path, box = art.get(page.number, (None, None))
        busy: dict[str, float] = {}
        if path is not None and box is not None:
            sample = grey_sample(path)
            busy = {name: busyness(sample, box, rect) for name, rect in rects.items()}
        candidates, pinned = candidates_of(job, page)
        asked = () if pinned else calm_placements(job.root, page.story.page)
        chosen = pick(candidates, fits, busy, job.spec.fonts.size, asked)
        choices[page.story.page] = Choice(
            page.story.page, chosen, pinned, candidates, fits, rects, busy, asked
        )
    return choices


def placement_findings(job: LayoutJob, choices: Mapping[int, Choice]) -> list[Finding]:
    """Warnings a designer would give: text over busy art, text that had to shrink."""
    out: list[Finding] = []
    size = job.spec.fonts.size
    for choice in choices.values():
        field_name = job.field_of(choice.page)
        out += gutter_findings(job, choice, field_name)
        out += busy_findings(job, choice, field_name)
        fit = choice.fits[choice.placement]
        if fit.fits and fit.size < size:
            out.append(
                Finding(
                    "warning",
                    job.spec_file,
                    f"{field_name}.text",
                    f"page {choice.page}: text shrank from {size:g} to {fit.size:g} pt "
                    f"to fit at '{choice.placement}'",
                    "shorten the text, or give it room (placement: auto, left/right/over)",
                    choice.page,
                )
            )
    return out


def gutter_findings(job: LayoutJob, choice: Choice, field_name: str) -> list[Finding]:
    """An error when a spread's text box reaches into the gutter (the fold and `gutter` beside
    it), where the binding swallows it; a spread's art runs on across the fold, its text may not.
    """
    page = next(p for p in text_pages(job) if p.story and p.story.page == choice.page)
    if page.half is None:
        return []
    g, rect = job.geometry, choice.rect
    into = rect.x + rect.w - (g.trim_w - g.gutter) if not page.recto else g.gutter - rect.x
    if into <= 0.01:
        return []
    side = "right" if page.recto else "left"  # the page; its text moves to that side too
    return [
        Finding(
            "error",
            job.spec_file,
            f"{field_name}.placement",
            f"page {choice.page}: the spread's text box at '{choice.placement}' reaches "
            f"{into:.1f} pt into the gutter of the {side}-hand page",
            f"set placement: {side} (away from the fold) for page {choice.page}, "
            "or a larger gutter in layout/book.yaml",
            choice.page,
        )
    ]


def seen_busyness(job: LayoutJob, choice: Choice) -> float | None:
    """Busyness a reader sees behind the letters: a panel dims the art by its opacity."""
    here = choice.busy.get(choice.placement)
    story = job.spec.story(choice.page)
    if here is None or story.style != "panel":
        return here
    return round(here * (1 - story.panel_opacity), 3)


def busy_findings(job: LayoutJob, choice: Choice, field_name: str) -> list[Finding]:
    seen = seen_busyness(job, choice)
    if seen is None or seen < BUSY:
        return []
    here = choice.busy[choice.placement]
    size = job.spec.fonts.size
    roomy = [p for p in PLACEMENTS if choice.fits[p].fits and choice.fits[p].size >= size]
    calmer = sorted((choice.busy[p], p) for p in roomy if choice.busy[p] < here)
    where = f"page {choice.page}: text at '{choice.placement}' sits over busy art ({here:.2f})"
    if choice.placement in choice.asked:
        problem = f"{where}, in the calm space its renderspec asked for"
        fix = (
            f"give page {choice.page} style: panel, or render it again so that space is calm "
            "(another seed or a stronger calm-space constraint)"
        )
    elif calmer and calmer[0][0] < BUSY:
        better = calmer[0][1]
        problem = f"{where}; '{better}' is calm ({calmer[0][0]:.2f})"
        fix = f"set placement: {better} for page {choice.page} in layout/book.yaml"
    else:
        problem = f"{where}; no placement where it fits is calm"
        fix = (
            "render the page with a calm-space constraint (e.g. 'calm space at the top'), "
            "or shorten the text"
        )
    return [Finding("warning", job.spec_file, f"{field_name}.placement", problem, fix, choice.page)]
