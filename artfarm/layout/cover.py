"""The cover wrap `layout/cover.pdf`: back, spine and front on one page with bleed all round.

Width = 2 × trim + spine + 2 × bleed, where the spine is the interior page count times the
paper's caliper. Spine text appears only when the spine is at least printer.min_spine_text_in.
The back cover keeps the printer's barcode area (printer.barcode) clear of art and blurb.
Typst lays the wrap out with stand-ins for its two full-size images, and their JPEG bytes are
swapped in afterwards (standins.py), as for the interior: the art is never decoded here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from artfarm.documents.safepath import PathEscape, resolve_inside
from artfarm.layout.art import PROOF, Variant, find_art, ppi_fix, prepare
from artfarm.layout.geometry import PT_PER_IN, Box
from artfarm.layout.job import LayoutJob
from artfarm.layout.preflight import Finding, Report, pdf_findings
from artfarm.layout.standins import compile_with_stand_ins
from artfarm.problems import ArtfarmError, Problem


def spine_width(job: LayoutJob) -> float:
    return job.geometry.spine_width(len(job.plan.pages), job.spec.paper)


def cover_source(
    job: LayoutJob, ref: int | str, field: str, variant: Variant
) -> tuple[Path, str] | Finding:
    """A page number's art (best the variant allows) or a path inside the book."""
    if isinstance(ref, int):
        found = find_art(job.root, ref, variant.sources)
        if found is None:
            return Finding(
                "error" if variant is not PROOF else "warning",
                job.spec_file,
                field,
                f"cover art: page {ref} has no {'/'.join(variant.sources)} art",
                "finish that page or name another page or an image file",
            )
        return found
    try:
        path = resolve_inside(job.root, ref)
    except PathEscape as err:
        return Finding(
            "error", job.spec_file, field, f"cover art: {err}", "name an image inside the book"
        )
    if not path.is_file():
        return Finding(
            "error",
            job.spec_file,
            field,
            f"cover art {ref} does not exist",
            "add the file or fix the path",
        )
    return path, "file"


def prepare_side(
    job: LayoutJob, side: str, ref: int | str | None, box: Box, variant: Variant, report: Report
) -> dict[str, Any] | None:
    if ref is None:
        return None
    field = "cover.art" if side == "front" else "cover.back_art"
    found = cover_source(job, ref, field, variant)
    if isinstance(found, Finding):
        report.add([found])
        return None
    source, kind = found
    art = prepare(
        source, job.out(f"{variant.folder}/cover-{side}.jpg"), box.w, box.h, variant, kind
    )
    if variant is not PROOF and art.ppi < job.spec.printer.min_ppi:
        report.add(
            [
                Finding(
                    "error",
                    str(source),
                    field,
                    f"cover {side} art is {art.ppi:.0f} ppi, below {job.spec.printer.min_ppi}",
                    ppi_fix(box.w, box.h, job.spec.printer.min_ppi),
                )
            ]
        )
    return {"path": str(art.path.resolve()), **box.as_dict()}


def cover_data(job: LayoutJob, variant: Variant, report: Report) -> dict[str, Any]:
    spec, g = job.spec, job.geometry
    spine = spine_width(job)
    front_x = g.trim_w + spine
    art_h = g.trim_h + 2 * g.bleed
    front_box = Box(front_x, -g.bleed, g.trim_w + g.bleed, art_h)
    back_box = Box(-g.bleed, -g.bleed, g.trim_w + g.bleed, art_h)
    safe = g.safe
    show_spine = spine >= spec.printer.min_spine_text_in * PT_PER_IN
    spine_text = spec.cover.spine_text or " — ".join(t for t in (spec.title, spec.author) if t)
    report.facts["spine_in"] = round(spine / PT_PER_IN, 4)
    report.facts["spine_text"] = (
        "shown" if show_spine else f"omitted (spine under {spec.printer.min_spine_text_in} in)"
    )
    return {
        "title": spec.title,
        "lang": spec.language,
        "proof": variant is PROOF,
        "w": 2 * g.trim_w + spine,
        "h": g.trim_h,
        "bleed": g.bleed,
        "background": spec.cover.background,
        "fonts": {
            "family": job.fonts.family,
            "size": spec.fonts.size,
            "title_size": spec.fonts.title_size,
            "color": spec.fonts.color,
        },
        "spine": {"x": g.trim_w, "w": spine, "text": spine_text if show_spine else None},
        "front": {
            "art": prepare_side(job, "front", spec.cover.art, front_box, variant, report),
            "title": spec.cover.front_text or spec.title,
            "subtitle": spec.subtitle,
            "author": spec.author,
            "safe": Box(front_x + safe, safe, g.trim_w - 2 * safe, g.trim_h - 2 * safe).as_dict(),
        },
        "back": {
            "art": prepare_side(job, "back", spec.cover.back_art, back_box, variant, report),
            "text": spec.cover.back_text.strip(),
            "safe": Box(safe, safe, g.trim_w - 2 * safe, g.trim_h - 2 * safe).as_dict(),
            "barcode": barcode_box(job),
        },
    }


def barcode_box(job: LayoutJob) -> dict[str, float] | None:
    """The printer's clear barcode area: foot of the back cover, by the spine, inside the safe
    margin (KDP prints its barcode there; art and blurb keep out)."""
    w, h = (v * PT_PER_IN for v in job.spec.printer.barcode)
    if w <= 0 or h <= 0:
        return None
    g = job.geometry
    return Box(g.trim_w - g.safe - w, g.trim_h - g.safe - h, w, h).as_dict()


def build_cover(job: LayoutJob, variant: Variant, pdf: Path) -> Report:
    """Compile the cover wrap into `pdf` and read it back (kept by the caller only when clean)."""
    report = Report(job.root.name)
    data = cover_data(job, variant, report)
    if report.errors:
        return report
    try:
        compile_with_stand_ins("cover.typ", data, job.fonts, job.spec_file, output=pdf)
    except ArtfarmError as err:
        report.add([Finding.of(p) for p in err.problems])
        return report
    g = job.geometry
    notes, facts = pdf_findings(job, pdf, "cover", data["w"] + 2 * g.bleed, g.trim_h + 2 * g.bleed)
    report.add(notes)
    report.facts.update({f"cover_{k}": v for k, v in facts.items() if k != "pdf"})
    return report


__all__ = ["Problem", "build_cover", "spine_width"]
