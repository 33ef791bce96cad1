# Input functions and params of the layout rules (rules/layout.smk): which art a book's
# layout uses, read from its layout/book.yaml.

import sys as _layout_sys
from pathlib import Path as _LayoutPath

from artfarm.pipeline.command import Command as _LayoutCommand

LAYOUT_CLI = _LayoutCommand(_layout_sys.executable, "-m", "artfarm", "layout")
LAYOUT_BOOK = "books/{book}"


def _layout_job(wildcards):
    """The book's layout job, or None while book.yaml is invalid (the rule then reports why)."""
    from artfarm.layout.job import open_job
    from artfarm.problems import ArtfarmError

    try:
        return open_job(LAYOUT_BOOK.format(book=wildcards.book))
    except ArtfarmError:
        return None


def layout_story_pages(wildcards):
    job = _layout_job(wildcards)
    return [p.story.page for p in job.plan.story_pages()] if job else []


def layout_print_jpegs(wildcards):
    return [f"books/{wildcards.book}/exports/print/{n:04d}.jpg" for n in layout_story_pages(wildcards)]


def layout_art_box(wildcards):
    """The crop box of one page's art: the only part of book.yaml its JPEG depends on."""
    from artfarm.layout.build import art_geometry_key

    job = _layout_job(wildcards)
    return art_geometry_key(job, int(wildcards.page)) if job else "invalid"


def layout_proof_art(wildcards):
    """Whatever art exists now, per page (the proof never waits for renders)."""
    from artfarm.layout.art import PROOF, find_art

    root = _LayoutPath(LAYOUT_BOOK.format(book=wildcards.book))
    found = (find_art(root, n, PROOF.sources) for n in layout_story_pages(wildcards))
    return [str(f[0]) for f in found if f]


def layout_copyright_config(wildcards):
    """book_config.yaml, when the interior has a copyright page (it lists the pinned models)."""
    job = _layout_job(wildcards)
    if job is None or "copyright" not in job.spec.order:
        return []
    return [f"books/{wildcards.book}/book_config.yaml"]


def layout_cover_art(wildcards):
    job = _layout_job(wildcards)
    if job is None:
        return []
    refs = (job.spec.cover.art, job.spec.cover.back_art)
    return [f"books/{wildcards.book}/pages/{r:04d}/print/print.png" for r in refs if isinstance(r, int)]


def storyboard_art(wildcards):
    """Each story page's best art so far, else its thumbnail (which the thumb rule renders).

    A page whose best art changes (a new selection, a final pick) changes this list, so the
    storyboard is built again.
    """
    from artfarm.layout.storyboard import storyboard_art_paths

    job = _layout_job(wildcards)
    if job is None:
        return []
    return [str(path) for path in storyboard_art_paths(job)]
