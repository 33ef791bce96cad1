"""The storyboard (the notes' Phase 1): the whole book in reading order, before any draft burst.

    layout/storyboard.pdf   one sheet per opening, as a reader sees the book: page 1 alone on
                            the right, then left|right pairs; a spread's art runs across both
                            pages. Each page at trim size with its art, its text (placed as the
                            interior places it) and its page number underneath.
    layout/storyboard.png   the whole book on one image: every opening in a grid, page numbers
                            large, at most OVERVIEW_PX on the long side (one glance for an agent)

Best art so far, per story page (`STORYBOARD.sources`, first that exists): the final pick
(`final/final.png`: the reviewed picture with its fixes), else the first selected draft
(`selected/`: what the reviewer kept; refine variants count only once one is picked), else
the page's thumbnail (`thumb/thumb.png`, the compiler's "thumb" stage: one candidate of the
draft model, few steps, small). Unreviewed drafts never count: nobody has chosen them. The
Snakemake rule lists exactly these files as inputs (`storyboard_art_paths`), so a page that
gets better art makes the storyboard stale, and a page that has it never renders a thumbnail.
Both files come from one Typst template (templates/storyboard.typ), so they agree.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from artfarm.atomic import atomic_path, write_bytes
from artfarm.layout.art import Variant, find_art, page_dir, prepare, remove_stale, scene_line
from artfarm.layout.interior import PageArt, art_box, interior_data, placements
from artfarm.layout.job import LayoutJob
from artfarm.layout.plan import PlannedPage
from artfarm.layout.preflight import Finding, Report
from artfarm.layout.render import compile_template

STORYBOARD = Variant("storyboard", "layout/storyboard_art", 80, 100, ("final", "selected", "thumb"))
OVERVIEW_PX = 1568  # long side: what vision models take in without scaling it down
OVERVIEW_ASPECT = 4 / 3  # the grid's columns are chosen to come closest to this shape
GAP_PT = 36.0  # between openings, and around them
NUMBER_SHARE = 0.08  # a page number's size, as a share of the trim height (large at a glance)
SHOWS = {"final": "final art", "selected": "selected draft", "thumb": "thumbnail"}


def storyboard_art_paths(job: LayoutJob) -> list[Path]:
    """Each story page's best art so far, else the thumbnail it needs (see module doc); a
    layout page without a renderspec has nothing to render and shows a placeholder."""
    paths = []
    for planned in job.plan.story_pages():
        assert planned.story is not None
        folder = page_dir(job.root, planned.story.page)
        found = find_art(job.root, planned.story.page, STORYBOARD.sources)
        if found is not None:
            paths.append(found[0])
        elif (folder / "renderspec.json").is_file():  # else a placeholder (validate names it)
            paths.append(folder / "thumb" / "thumb.png")
    return paths


def build_storyboard(job: LayoutJob) -> Report:
    """layout/storyboard.pdf and layout/storyboard.png from the best art so far."""
    report = Report(job.root.name)
    arts, findings = storyboard_arts(job)
    report.add(findings)
    data = storyboard_data(job, arts)
    with atomic_path(job.out("layout/storyboard.pdf")) as tmp:
        compile_template("storyboard.typ", data, job.fonts, job.spec_file, job.field_of, output=tmp)
    overview = {**data, "mode": "overview"}
    png = compile_template(
        "storyboard.typ",
        overview,
        job.fonts,
        job.spec_file,
        job.field_of,
        fmt="png",
        ppi=overview_ppi(data["sheet"], data["grid"]),
    )
    write_bytes(job.out("layout/storyboard.png"), png)
    report.facts["storyboard_openings"] = len(data["openings"])
    report.facts["storyboard_grid"] = f"{data['grid']['columns']}×{data['grid']['rows']}"
    return report


def storyboard_arts(job: LayoutJob) -> tuple[dict[int, PageArt], list[Finding]]:
    """Every story page's best art as a small JPEG; a page with none gets a placeholder."""
    arts: dict[int, PageArt] = {}
    findings: list[Finding] = []
    keep = set()
    for planned in job.plan.story_pages():
        assert planned.story is not None
        page, box = planned.story.page, art_box(job, planned)
        found = find_art(job.root, page, STORYBOARD.sources)
        if found is None:
            arts[page] = PageArt(None, box, scene_line(job.root, page))
            findings.append(no_art(job, page))
            continue
        dest = job.out(f"{STORYBOARD.folder}/{page:04d}.jpg")
        keep.add(dest.name)
        arts[page] = PageArt(prepare(found[0], dest, box.w, box.h, STORYBOARD, found[1]), box)
    remove_stale(job.out(STORYBOARD.folder), keep)
    return arts, findings


def no_art(job: LayoutJob, page: int) -> Finding:
    """A page shown as a placeholder, and what gives it art."""
    folder = page_dir(job.root, page)
    if (folder / "renderspec.json").is_file():
        fix = f"snakemake books/{job.root.name}/layout/storyboard.pdf renders a thumbnail"
    else:
        fix = f"write its renderspec.json: artfarm new-page books/{job.root.name} {page}"
    return Finding(
        "warning",
        str(folder),
        job.field_of(page),
        f"page {page}: no art yet (placeholder with the scene line)",
        fix,
        page,
    )


def storyboard_data(job: LayoutJob, arts: dict[int, PageArt]) -> dict[str, Any]:
    """The template's data: the interior's page records grouped into openings, and the grid."""
    interior = interior_data(job, arts, STORYBOARD, bleed=False, choices=placements(job, arts))
    records = [
        storyboard_record(job, planned, record, arts)
        for planned, record in zip(job.plan.pages, interior["pages"], strict=True)
    ]
    openings = pair_openings(records)
    number = NUMBER_SHARE * job.geometry.trim_h
    sheet = {
        "w": 2 * job.geometry.trim_w + 2 * GAP_PT,
        "h": job.geometry.trim_h + 2 * GAP_PT + 2 * number,  # the number and the caption line
        "gap": GAP_PT,
        "number": number,
    }
    columns, rows = grid_shape(len(openings), sheet["w"] / sheet["h"])
    return {
        **interior,
        "mode": "sheets",
        "openings": openings,
        "sheet": sheet,
        "grid": {"columns": columns, "rows": rows},
    }


def storyboard_record(
    job: LayoutJob, planned: PlannedPage, record: dict[str, Any], arts: dict[int, PageArt]
) -> dict[str, Any]:
    """The interior's record of a page, drawn the storyboard's way: a spread's art once, across
    its opening, from its left page (in that page's trim coordinates), the right page showing
    none of its own; a placeholder where there is no art; a caption under the number."""
    record = {**record, "art": None, "placeholder": None, "caption": caption(planned, arts)}
    if planned.story is None or planned.half == "right":
        return record
    shown = arts[planned.story.page]
    box = shown.box.as_dict()
    if shown.art is not None:
        record["art"] = {"path": str(shown.art.path.resolve()), **box}
    else:
        record["placeholder"] = {**box, "scene": shown.scene or f"story page {planned.story.page}"}
    return record


def caption(planned: PlannedPage, arts: dict[int, PageArt]) -> str:
    """What a page is, under its number: 'story page 3 · final art', 'title', 'blank'."""
    if planned.story is None:
        return planned.kind
    shown = arts[planned.story.page].art
    return f"story page {planned.story.page} · {SHOWS[shown.kind] if shown else 'no art yet'}"


def pair_openings(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Page 1 alone on the right, then (left, right) pairs; an odd last page alone on the left."""
    openings = [{"left": None, "right": records[0]}] if records else []
    for index in range(1, len(records), 2):
        right = records[index + 1] if index + 1 < len(records) else None
        openings.append({"left": records[index], "right": right})
    return openings


def grid_shape(count: int, cell_aspect: float) -> tuple[int, int]:
    """Columns and rows of the overview: the shape closest to OVERVIEW_ASPECT (fewer columns
    on a tie), so the pages stay as large as one image allows."""
    best = (math.inf, 1, max(count, 1))
    for columns in range(1, max(count, 1) + 1):
        rows = math.ceil(count / columns)
        miss = abs(math.log(columns * cell_aspect / rows / OVERVIEW_ASPECT))
        best = min(best, (miss, columns, rows))
    return best[1], best[2]


def overview_ppi(sheet: dict[str, float], grid: dict[str, int]) -> float:
    """The PNG's resolution: its long side is OVERVIEW_PX pixels."""
    width_pt = grid["columns"] * sheet["w"]
    height_pt = grid["rows"] * sheet["h"]
    return OVERVIEW_PX / (max(width_pt, height_pt) / 72.0)
