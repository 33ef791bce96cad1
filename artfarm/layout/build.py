"""Targets of `artfarm layout`: each builds its files atomically or raises with every problem.

pages  → exports/print/NNNN.jpg, layout/pages.pdf, layout/preflight.{json,txt}
cover  → exports/print/cover-*.jpg, layout/cover.pdf
proof  → layout/proof_art/NNNN.jpg, layout/proof.pdf (best art so far, stamped PROOF)
web    → exports/web/NNNN.jpg, exports/web/book.pdf, exports/web/pages/page-NNN.png
storyboard → layout/storyboard_art/NNNN.jpg, layout/storyboard.pdf + .png (see storyboard.py)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from artfarm.atomic import atomic_path, write_bytes, write_json
from artfarm.layout.art import PRINT, PROOF, WEB, find_art, prepare
from artfarm.layout.cover import build_cover
from artfarm.layout.interior import art_box, build_interior, interior_data, prepare_pages
from artfarm.layout.job import LayoutJob
from artfarm.layout.matter import prepare_matter
from artfarm.layout.preflight import Report, scratch_pdf, write_report
from artfarm.layout.render import compile_template
from artfarm.layout.storyboard import build_storyboard
from artfarm.problems import ArtfarmError

WEB_PNG_PPI = 100.0


def build_pages(job: LayoutJob) -> Report:
    with atomic_path(job.out("layout/pages.pdf")) as tmp:
        report = build_interior(job, PRINT, tmp)
        write_report(job, report)
        report.raise_if_errors()  # the half-checked PDF is discarded, never renamed into place
    return report


def build_cover_pdf(job: LayoutJob) -> Report:
    with atomic_path(job.out("layout/cover.pdf")) as tmp:
        report = build_cover(job, PRINT, tmp)
        report.raise_if_errors()
    return report


def build_proof(job: LayoutJob) -> Report:
    with atomic_path(job.out("layout/proof.pdf")) as tmp:
        report = build_interior(job, PROOF, tmp)
        report.raise_if_errors()
    return report


def build_web(job: LayoutJob) -> Report:
    """A small reading copy: ≈150 ppi art, trim-size pages (no bleed), one PNG per page.

    The art is scaled down from the print JPEGs (already cropped to each page's box), not
    decoded again from the big PNGs.
    """
    with atomic_path(job.out("exports/web/book.pdf")) as tmp:
        report = build_interior(job, WEB, tmp, bleed=False)
        report.raise_if_errors()
    arts, _ = prepare_pages(job, WEB)  # already current: reused from the sidecars
    matter, _ = prepare_matter(job, WEB)
    pngs = compile_template(
        "interior.typ",
        interior_data(job, arts, WEB, bleed=False, matter=matter),
        job.fonts,
        job.spec_file,
        job.field_of,
        fmt="png",
        ppi=WEB_PNG_PPI,
    )
    pngs = pngs if isinstance(pngs, list) else [pngs]
    names = []
    for number, png in enumerate(pngs, start=1):
        name = f"pages/page-{number:03d}.png"
        write_bytes(job.out(f"exports/web/{name}"), png)
        names.append(name)
    write_json(job.out("exports/web/index.json"), {"pdf": "book.pdf", "pages": names})
    return report


def build_preflight(job: LayoutJob) -> Report:
    """Interior and cover compiled to scratch files, checked, deleted: only the report stays."""
    with scratch_pdf(job.out("layout")) as tmp:
        report = build_interior(job, PRINT, tmp)
    with scratch_pdf(job.out("layout")) as tmp:
        cover = build_cover(job, PRINT, tmp)
    report.add(cover.findings)
    report.facts.update(cover.facts)
    write_report(job, report)
    return report


def prepare_page_art(job: LayoutJob, page: int) -> Path:
    """One page's print JPEG (a Snakemake job of its own, so edits to text never redo it)."""
    planned = next((p for p in job.plan.story_pages() if p.story and p.story.page == page), None)
    if planned is None:
        raise ArtfarmError.single(
            job.spec_file, "pages", f"page {page} is not in book.yaml", "add it to pages"
        )
    found = find_art(job.root, page, PRINT.sources)
    if found is None:
        raise ArtfarmError.single(
            str(job.root / f"pages/{page:04d}/print/print.png"),
            "",
            f"page {page}: print art is missing",
            "finish the page (final + print upscale)",
        )
    box = art_box(job, planned)
    return prepare(
        found[0], job.out(f"{PRINT.folder}/{page:04d}.jpg"), box.w, box.h, PRINT, found[1]
    ).path


TARGETS: dict[str, Callable[[LayoutJob], Report]] = {
    "pages": build_pages,
    "cover": build_cover_pdf,
    "proof": build_proof,
    "web": build_web,
    "storyboard": build_storyboard,
}


def art_geometry_key(job: LayoutJob, page: int) -> str:
    """What a page's print JPEG depends on in book.yaml (a Snakemake params value)."""
    planned = next((p for p in job.plan.story_pages() if p.story and p.story.page == page), None)
    if planned is None:
        return "absent"
    return json.dumps(art_box(job, planned).as_dict(), sort_keys=True)
