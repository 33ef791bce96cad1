"""Where the characters are on a laid-out page of a book rendered by the sketch server, and
where its text is in the PDF: the geometry behind "no text sits over a character".

Figures: the final art is the reviewed draft, refined (img2img keeps every figure where it
is: a wobble of at most 0.4 % of the short side). The draft manifest records the graph that
drew it (seed, sampler, prompt, batch index), so the sketch drawing's own `figure_boxes`
tells where each figure is — after checking that the stored draft is that drawing: the
same pixels outside the figure boxes, a figure inside each. Text: every text run of the PDF page (pypdf's visitor gives its origin
and size; Pillow measures its width with the same font file), padded by the panel's inset.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from typing import Any

from PIL import Image, ImageChops, ImageFont
from pypdf import PageObject

from artfarm.layout.geometry import Box
from artfarm.layout.job import LayoutJob
from artfarm.sketch.drawing import draw_scene, figure_boxes, item_rng
from artfarm.sketch.scene import read_scene

WOBBLE = 0.01  # figure boxes grow by this fraction of the short side (refine moves 0.4 %)


def overlaps(a: Box, b: Box) -> bool:
    return a.x < b.x + b.w and b.x < a.x + a.w and a.y < b.y + b.h and b.y < a.y + a.h


def _draft_job(manifest: dict[str, Any], draft_id: str) -> tuple[dict[str, Any], int]:
    for job in manifest["jobs"]:
        if draft_id in job["outputs"]:
            return job, job["outputs"].index(draft_id)
    raise AssertionError(f"{draft_id} is not an output of any draft job")


def _sampler_inputs(graph: dict[str, Any]) -> tuple[int, str, str]:
    """Seed, sampler and positive prompt text of the one sampler in a draft graph."""
    (sampler,) = [n for n in graph.values() if n["class_type"] == "KSampler"]
    inputs = sampler["inputs"]
    positive = graph[inputs["positive"][0]]["inputs"]["text"]
    return int(inputs["seed"]), str(inputs["sampler_name"]), positive


def draft_figures(book: Path, page: int) -> tuple[list[tuple[int, int, int, int]], Image.Image]:
    """The figure boxes of the draft the page's final art grew from, in draft pixels."""
    folder = book / "pages" / f"{page:04d}"
    review = json.loads((folder / "review.json").read_text())
    refine = review["refine"]
    assert not refine.get("fixes"), "an inpaint fix redraws figures; not handled here"
    draft_id = refine["final"].split("-v")[0]
    manifest = json.loads((folder / "draft" / "manifest.json").read_text())
    job, index = _draft_job(manifest, draft_id)
    seed, sampler, prompt = _sampler_inputs(job["request"]["graph"])
    item_seed = int(item_rng(seed, index, sampler).getrandbits(63))
    with Image.open(folder / "draft" / f"{draft_id}.png") as stored:
        draft = stored.convert("RGB")
    scene = read_scene(prompt)
    boxes = figure_boxes(scene, item_seed, *draft.size)
    # The scene without its figures is the stored draft everywhere but inside the boxes (the
    # figures' colours may come from reference sheets; their places come from the seed).
    bare = draw_scene(dataclasses.replace(scene, characters=()), item_seed, *draft.size)
    changed = ImageChops.difference(bare, draft).convert("L")
    assert changed.getbbox() is not None, f"page {page}: no figure drawn"
    for box in boxes:
        assert changed.crop(box).getbbox() is not None, f"page {page}: no figure in {box}"
        changed.paste(0, box)
    assert changed.getbbox() is None, f"page {page}: the draft is not this drawing"
    return boxes, draft


def figures_on_page(book: Path, page: int, art_box: Box) -> list[Box]:
    """The page's figures in trim coordinates: the draft centre-cropped into the art box
    ('cover', as the layout does), each box grown by the refine wobble."""
    boxes, draft = draft_figures(book, page)
    w, h = draft.size
    scale = max(art_box.w / w, art_box.h / h)
    ox = art_box.x + (art_box.w - w * scale) / 2
    oy = art_box.y + (art_box.h - h * scale) / 2
    grow = WOBBLE * min(w, h)
    return [
        Box(
            ox + (left - grow) * scale,
            oy + (top - grow) * scale,
            (right - left + 2 * grow) * scale,
            (bottom - top + 2 * grow) * scale,
        )
        for left, top, right, bottom in boxes
    ]


def text_boxes(pdf_page: PageObject, font: Path, pad: float) -> list[tuple[str, Box]]:
    """Every non-blank text run of a PDF page in trim coordinates (points, y down), grown by
    `pad` points (the panel's inset)."""
    trim = pdf_page.trimbox
    left, top = float(trim.left), float(trim.top)
    face = ImageFont.truetype(str(font), 1000)
    runs: list[tuple[str, Box]] = []

    def visit(text: str, cm: list[float], tm: list[float], _font: Any, size: float) -> None:
        if not text.strip():
            return
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        pts = size * math.hypot(tm[0], tm[1]) * math.hypot(cm[0], cm[1])
        width = face.getlength(text.strip()) / 1000 * pts
        box = Box(x - left - pad, top - y - 0.95 * pts - pad, width + 2 * pad, 1.2 * pts + 2 * pad)
        runs.append((text.strip(), box))

    pdf_page.extract_text(visitor_text=visit)
    return runs


def story_art_boxes(job: LayoutJob) -> dict[int, tuple[int, int, Box]]:
    """{physical page (0-based): (story page, pdf index, art box)} for every story page."""
    out: dict[int, tuple[int, int, Box]] = {}
    for planned in job.plan.pages:
        if planned.story is None or planned.story.spread:
            continue
        box = job.geometry.art_box(planned.recto)
        out[planned.number - 1] = (planned.story.page, planned.number - 1, box)
    return out
