# Layout (Typst): print JPEGs per page, layout/pages.pdf, cover.pdf, proof.pdf, exports/web/.
# Each job depends only on what it reads: a page's JPEG on its print.png and the crop box
# (params), so editing story text in book.yaml re-runs the PDFs and nothing else.
# No gpu resource: layout runs beside render jobs.

import shlex as _layout_shlex
import sys as _layout_sys
from pathlib import Path as _LayoutPath

LAYOUT_CLI = f"{_layout_shlex.quote(_layout_sys.executable)} -m artfarm layout"
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


def layout_cover_art(wildcards):
    job = _layout_job(wildcards)
    if job is None:
        return []
    refs = (job.spec.cover.art, job.spec.cover.back_art)
    return [f"books/{wildcards.book}/pages/{r:04d}/print/print.png" for r in refs if isinstance(r, int)]


rule layout_art:
    input:
        image="books/{book}/pages/{page}/print/print.png",
    output:
        jpeg="books/{book}/exports/print/{page}.jpg",
        sidecar="books/{book}/exports/print/{page}.json",
    params:
        box=layout_art_box,
    log:
        "books/{book}/logs/layout/art_{page}.log",
    shell:
        "{LAYOUT_CLI} books/{wildcards.book} art --page {wildcards.page} > {log} 2>&1"


rule layout_pages:
    input:
        spec="books/{book}/layout/book.yaml",
        art=layout_print_jpegs,
    output:
        pdf="books/{book}/layout/pages.pdf",
        report="books/{book}/layout/preflight.json",
    log:
        "books/{book}/logs/layout/pages.log",
    shell:
        "{LAYOUT_CLI} books/{wildcards.book} pages > {log} 2>&1"


rule layout_cover:
    input:
        spec="books/{book}/layout/book.yaml",
        art=layout_cover_art,
    output:
        pdf="books/{book}/layout/cover.pdf",
    log:
        "books/{book}/logs/layout/cover.log",
    shell:
        "{LAYOUT_CLI} books/{wildcards.book} cover > {log} 2>&1"


rule layout_proof:
    input:
        spec="books/{book}/layout/book.yaml",
        art=layout_proof_art,
    output:
        pdf="books/{book}/layout/proof.pdf",
    log:
        "books/{book}/logs/layout/proof.log",
    shell:
        "{LAYOUT_CLI} books/{wildcards.book} proof > {log} 2>&1"


rule layout_web:
    input:
        spec="books/{book}/layout/book.yaml",
        art=layout_print_jpegs,  # web art is scaled from the print JPEGs
    output:
        pdf="books/{book}/exports/web/book.pdf",
        index="books/{book}/exports/web/index.json",
    log:
        "books/{book}/logs/layout/web.log",
    shell:
        "{LAYOUT_CLI} books/{wildcards.book} web > {log} 2>&1"
