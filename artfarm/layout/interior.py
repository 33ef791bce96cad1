"""The interior PDF in its three flavours: print (`layout/pages.pdf`), proof, web.

Art is prepared first (see art.py), then one Typst compile lays out every page. Problems
are gathered per page so one run reports all of them; errors stop before Typst runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from artfarm.layout.art import (
    PRINT,
    PROOF,
    PreparedArt,
    Variant,
    crop_fraction,
    find_art,
    ppi_fix,
    prepare,
    scene_line,
)
from artfarm.layout.copyright import copyright_data
from artfarm.layout.geometry import Box
from artfarm.layout.job import LayoutJob
from artfarm.layout.matter import prepare_matter
from artfarm.layout.placement import (
    Choice,
    choose_placements,
    folio_on,
    placement_findings,
    text_record,
)
from artfarm.layout.plan import PlannedPage
from artfarm.layout.preflight import (
    Finding,
    Report,
    page_count_findings,
    pdf_findings,
    scratch_pdf,
    text_findings,
)
from artfarm.layout.render import compile_template
from artfarm.layout.standins import compile_with_stand_ins
from artfarm.problems import ArtfarmError, Problem

MAX_CROP = 0.02  # more of the art cut away than this is a warning naming the page


@dataclass(frozen=True)
class PageArt:
    """What a story page shows: prepared art, or (proof only) a placeholder with the scene."""

    art: PreparedArt | None
    box: Box
    scene: str = ""


def art_box(job: LayoutJob, page: PlannedPage) -> Box:
    assert page.story is not None
    return job.geometry.art_box(page.recto, spread=page.story.spread)


def prepare_pages(job: LayoutJob, variant: Variant) -> tuple[dict[int, PageArt], list[Finding]]:
    """Prepare every story page's art for `variant`; missing or low-resolution art is a finding."""
    arts: dict[int, PageArt] = {}
    findings: list[Finding] = []
    min_ppi = job.spec.printer.min_ppi
    for planned in job.plan.story_pages():
        story = planned.story
        assert story is not None
        box = art_box(job, planned)
        found = find_art(job.root, story.page, variant.sources)
        if found is None:
            findings.append(missing_art(job, story.page, variant))
            arts[story.page] = PageArt(None, box, scene_line(job.root, story.page))
            continue
        source, kind = found
        dest = job.out(f"{variant.folder}/{story.page:04d}.jpg")
        prepared = prepare_for(job, story.page, source, kind, dest, box, variant)
        arts[story.page] = PageArt(prepared, box)
        cropped = crop_findings(job, story.page, prepared, box)
        findings += cropped
        if variant.name != "proof" and prepared.ppi < min_ppi:
            fix = cropped[0].fix if cropped else ppi_fix(box.w, box.h, min_ppi)
            findings.append(
                Finding(
                    "error",
                    str(source),
                    f"{job.field_of(story.page)}",
                    f"page {story.page}: art is {prepared.ppi:.0f} ppi at trim + bleed "
                    f"({prepared.pixels[0]}×{prepared.pixels[1]} px), below {min_ppi}",
                    fix,  # art of another shape: upscaling it again would not help
                    story.page,
                )
            )
        elif variant is PROOF and kind != "print":
            findings.append(
                Finding(
                    "info",
                    str(source),
                    job.field_of(story.page),
                    f"page {story.page}: proof uses {kind} art",
                    "",
                    story.page,
                )
            )
    return arts, findings


def crop_findings(job: LayoutJob, page: int, art: PreparedArt, box: Box) -> list[Finding]:
    """A warning when the art's shape differs from its box so much that > 2 % is cut away."""
    w, h = art.pixels
    cut = crop_fraction(w / h, box.w / box.h)
    if cut <= MAX_CROP:
        return []
    return [
        Finding(
            "warning",
            str(art.source),
            job.field_of(page),
            f"page {page}: {cut:.0%} of the art is cropped ({w}×{h} px is "
            f"{w / h:.3f}:1, its place in the layout {box.w / box.h:.3f}:1)",
            f"render page {page} again (snakemake renders it at its shape in the layout), "
            "or set trim, bleed or spread back",
            page,
        )
    ]


def prepare_for(
    job: LayoutJob, page: int, source: Path, kind: str, dest: Path, box: Box, variant: Variant
) -> PreparedArt:
    """A page's art for `variant`; web art is scaled from the (current) print JPEG.

    The print JPEG is already cropped to the same box, so the crop is the same; decoding it
    is far cheaper than decoding the full PNG again. Resolution facts stay those of the source.
    """
    if not variant.via_print:
        return prepare(source, dest, box.w, box.h, variant, kind)
    printed = prepare(source, job.out(f"{PRINT.folder}/{page:04d}.jpg"), box.w, box.h, PRINT, kind)
    small = prepare(printed.path, dest, box.w, box.h, variant, kind)
    return PreparedArt(small.path, source, kind, printed.ppi, printed.pixels)


def missing_art(job: LayoutJob, page: int, variant: Variant) -> Finding:
    folder = f"pages/{page:04d}"
    if variant is PROOF:
        return Finding(
            "warning",
            str(job.root / folder),
            job.field_of(page),
            f"page {page}: no art yet (placeholder with the scene line)",
            "render the page",
            page,
        )
    return Finding(
        "error",
        str(job.root / folder / "print" / "print.png"),
        job.field_of(page),
        f"page {page}: print art is missing",
        f"finish the page (final + print upscale), or remove page {page} from layout/book.yaml",
        page,
    )


def shown_box(job: LayoutJob, page: PlannedPage, box: Box) -> Box:
    """The art box as this page shows it: a spread's right half is the same art shifted left.

    The spread's box is in the left page's trim coordinates, whose fold is at x = trim_w; the
    right page's fold is its x = 0, so its view is the box moved left by one trim width.
    """
    if page.half == "right":
        return Box(box.x - job.geometry.trim_w, box.y, box.w, box.h)
    return box


def placements(job: LayoutJob, arts: dict[int, PageArt]) -> dict[int, Choice]:
    """Each text page's placement, chosen over the art it is set on (see placement.py)."""
    shown: dict[int, tuple[Path | None, Box]] = {}
    for page in job.plan.pages:
        if page.story is not None and page.story.page in arts:
            page_art = arts[page.story.page]
            path = page_art.art.path if page_art.art is not None else None
            shown[page.number] = (path, shown_box(job, page, page_art.box))
    return choose_placements(job, shown)


def page_record(
    job: LayoutJob,
    page: PlannedPage,
    arts: dict[int, PageArt],
    proof: bool,
    choices: dict[int, Choice],
) -> dict[str, Any]:
    story = page.story
    record: dict[str, Any] = {
        "number": page.number,
        "kind": page.kind,
        "recto": page.recto,
        "art": None,
        "placeholder": None,
        "text": None,
        "page_id": story.page if story else None,
        "folio": folio_on(job, page),
        "label": f"page {page.number}",
    }
    if story is None:
        return record
    shown = arts[story.page]
    box = shown_box(job, page, shown.box)
    if shown.art is not None:
        record["art"] = {"path": str(shown.art.path.resolve()), **box.as_dict()}
        record["label"] = f"page {page.number} · story page {story.page} · {shown.art.kind} art"
    elif proof:
        record["placeholder"] = {
            **box.as_dict(),
            "scene": shown.scene or f"story page {story.page}",
        }
        record["label"] = f"page {page.number} · story page {story.page} · no art yet"
    if page.has_text and story.text.strip():
        record["text"] = text_record(job, page, choices[story.page].placement)
    return record


def interior_data(
    job: LayoutJob,
    arts: dict[int, PageArt],
    variant: Variant,
    bleed: bool,
    choices: dict[int, Choice] | None = None,
    matter: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The template's data; `choices` (the text placements) are measured here when not given;
    `matter` holds the title and end vignettes (none: pages without pictures)."""
    spec, g = job.spec, job.geometry
    if choices is None:
        choices = placements(job, arts)
    page_bleed = g.bleed if bleed else 0.0
    fonts = spec.fonts
    return {
        "title": spec.title,
        "subtitle": spec.subtitle,
        "author": spec.author,
        "dedication": spec.dedication,
        "end_text": spec.end_text,
        "copyright": copyright_data(job),
        "matter": matter or {"title": None, "end": None},
        "lang": spec.language,
        "proof": variant is PROOF,
        "page": {
            "w": g.trim_w,  # Typst adds the bleed around the trim
            "h": g.trim_h,
            "bleed": page_bleed,
            "safe": g.safe,
            "gutter": g.gutter,
        },
        "fonts": {
            "family": job.fonts.family,
            "size": fonts.size,
            "min_size": fonts.min_size,
            "color": fonts.color,
            "title_size": fonts.title_size,
            "leading": fonts.leading,
            "measure": fonts.measure,
        },
        "pages": [page_record(job, p, arts, variant is PROOF, choices) for p in job.plan.pages],
    }


def build_interior(job: LayoutJob, variant: Variant, pdf: Path, bleed: bool = True) -> Report:
    """Prepare art, check, compile into `pdf`, read it back; an error stops before Typst runs.

    The caller keeps `pdf` only when the report has no error (see build.py). Typst lays out
    small stand-ins and the real JPEG bytes are swapped in afterwards (standins.py), so the
    art is never decoded here; the check reads the PDF lazily from disk.
    """
    report = Report(job.root.name)
    report.add(text_findings(job))
    arts, art_notes = prepare_pages(job, variant)
    report.add(art_notes)
    matter, matter_notes = prepare_matter(job, variant)
    report.add(matter_notes)
    report.add(page_count_findings(job, len(job.plan.pages)))
    report.facts.update(resolution_facts(arts))
    if report.errors:
        return report
    try:
        choices = placements(job, arts)
        data = interior_data(job, arts, variant, bleed, choices, matter)
    except ArtfarmError as err:
        report.add([Finding.of(p) for p in err.problems])
        return report
    report.add(placement_findings(job, choices))
    del arts
    try:
        compile_with_stand_ins(
            "interior.typ", data, job.fonts, job.spec_file, job.field_of, output=pdf
        )
    except ArtfarmError as err:
        report.add([Finding.of(p) for p in err.problems])
        return report
    g = job.geometry
    page_bleed = g.bleed if bleed else 0.0
    notes, facts = pdf_findings(
        job,
        pdf,
        f"{variant.name} interior",
        g.trim_w + page_bleed,
        g.trim_h + 2 * page_bleed,
        bleed,
    )
    report.add(notes)
    report.facts.update(facts)
    report.facts["trim_in"] = f"{job.spec.trim.width:g}×{job.spec.trim.height:g}"
    report.facts["bleed_in"] = round(job.spec.bleed, 4)
    if job.plan.padded:
        report.facts["blank_page_added"] = "a blank page ends the book (even page count)"
    return report


def resolution_facts(arts: dict[int, PageArt]) -> dict[str, Any]:
    rated = [(a.art.ppi, page) for page, a in arts.items() if a.art is not None]
    if not rated:
        return {}
    ppi, page = min(rated)
    return {"worst_ppi": round(ppi, 1), "worst_ppi_page": page}


def text_fit_problems(job: LayoutJob) -> list[Problem]:
    """Text that cannot fit even at fonts.min_size, found before any art exists.

    The art never changes the room a text has, so the interior is compiled with empty art
    boxes (the proof's placeholders) by the same template the print build uses; `artfarm
    validate` reports what the layout rule would refuse later.
    """
    arts = {p.story.page: PageArt(None, art_box(job, p)) for p in job.plan.story_pages() if p.story}
    problems = [f.as_problem() for f in text_findings(job)]
    try:
        data = interior_data(job, arts, PROOF, bleed=True)
    except ArtfarmError as err:
        return problems + err.problems
    with scratch_pdf(job.out("layout")) as tmp:
        try:
            compile_template(
                "interior.typ", data, job.fonts, job.spec_file, job.field_of, output=tmp
            )
        except ArtfarmError as err:
            problems += err.problems
    return problems
