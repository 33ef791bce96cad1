"""Front and back matter drawn from the book's own pictures: the title and end vignettes.

A vignette is a story page's art (or an image inside the book) cropped to a landscape
window with rounded corners, set above the title or the end text; layout/book.yaml names it
(`title_art`, `end_art`; the title page falls back to the cover's front art). Its window sits over the
picture's detail (layout/focus.py) unless `title_focus`/`end_focus` say where. A vignette is
much smaller than a page, so any art good enough for a page is sharp enough for it.
"""

from __future__ import annotations

from typing import Any

from artfarm.layout.art import Variant, prepare
from artfarm.layout.cover import cover_source
from artfarm.layout.job import LayoutJob
from artfarm.layout.preflight import Finding

VIGNETTE_WIDTH = 0.62  # of the safe area's width
VIGNETTE_ASPECT = 4 / 3  # width / height: a landscape window onto portrait art
NONE = "none"


def matter_ref(job: LayoutJob, kind: str) -> tuple[int | str | None, str]:
    """The art a matter page shows and the book.yaml field it comes from (None: no art)."""
    spec = job.spec
    if kind == "title":
        ref = spec.title_art if spec.title_art is not None else spec.cover.art
        field = "title_art" if spec.title_art is not None else "cover.art"
    else:
        ref, field = spec.end_art, "end_art"
    return (None if ref == NONE else ref), field


def vignette_size(job: LayoutJob) -> tuple[float, float]:
    g = job.geometry
    width = (g.trim_w - 2 * g.safe - g.gutter) * VIGNETTE_WIDTH
    return width, width / VIGNETTE_ASPECT


def prepare_matter(job: LayoutJob, variant: Variant) -> tuple[dict[str, Any], list[Finding]]:
    """{"title": {path, w, h} | None, "end": ...} for the matter pages the order has."""
    kinds = {p.kind for p in job.plan.pages}
    out: dict[str, Any] = {"title": None, "end": None}
    findings: list[Finding] = []
    w, h = vignette_size(job)
    for kind in ("title", "end"):
        ref, field = matter_ref(job, kind)
        if kind not in kinds or ref is None:
            continue
        found = cover_source(job, ref, field, variant)
        if isinstance(found, Finding):
            findings.append(_reworded(found, kind))
            continue
        source, source_kind = found
        focus = job.spec.title_focus if kind == "title" else job.spec.end_focus
        dest = job.out(f"{variant.folder}/{kind}.jpg")
        art = prepare(source, dest, w, h, variant, source_kind, focus)
        out[kind] = {"path": str(art.path.resolve()), "w": round(w, 4), "h": round(h, 4)}
    return out, findings


def _reworded(found: Finding, kind: str) -> Finding:
    """The cover's finding, naming the matter page (same severity: an error in print)."""
    problem = found.problem.replace("cover art", f"{kind} page art", 1)
    return Finding(found.severity, found.file, found.field, problem, found.fix)
