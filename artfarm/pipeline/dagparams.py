"""The `params:` of the render rules: content hashes that decide what re-runs, and why.

Snakemake re-runs a job whose params changed ("Params have changed since last execution") and
nothing else, because the rules' agent-written inputs are `ancient()`. Each value is the
compiler's request hash of the job (spec, templates, style pack, bible, reference bytes, model
sha256s, seeds), so a change re-renders exactly the stages it affects. Values are computed
while Snakemake builds its DAG: cheap, and never raising — a page whose spec is broken gets an
`invalid-…` value, and its job fails with the clear message instead. A value is remembered
across runs (paramcache) with the version of every file its computation read.
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from artfarm.pipeline import filereads
from artfarm.pipeline.paramcache import book_cache
from artfarm.problems import ArtfarmError

if TYPE_CHECKING:  # the compiler and the documents load only when a value is computed
    from artfarm.documents.bible import BibleItem
    from artfarm.documents.book import Book
    from artfarm.rendering.compiler import CompiledJob

PENDING = "pending"


def explained(book: Book, page: int, job: CompiledJob) -> str:
    """The request hash, preceded by a short hash of each of its sources.

    Snakemake prints a param's value before and after in its "Params have changed" reason, so
    this spelling says *what* changed: `renderspec.json:…` differs when the spec was edited,
    `models:…` when a model was swapped, `inputs:…` when an upstream image changed, `canvas:…`
    when the page's shape in the layout did (rendering/canvas.py).
    """
    from artfarm.rendering.contenthash import content_inputs

    parts = content_inputs(book, book.load_spec(page))
    named = {
        "renderspec.json": parts["spec"],
        "style_pack": parts["style_pack"],
        "templates": parts["template_overrides"],
        "bible": parts["bible"],
        "refs": parts["references"],
        "models": job.request.get("models", {}),
        "inputs": job.request.get("uploads", {}),
        "canvas": [job.outputs.width, job.outputs.height],
    }
    sources = " ".join(f"{name}:{short_hash(value)}" for name, value in named.items())
    return f"{sources} request:{job.request_hash}"


_SHORT: dict[str, str] = {}


def short_hash(value: Any) -> str:
    """`sha256_json(value)[:10]`, remembered by the value's compact JSON.

    The style pack, templates and models parts are the same for every page of a book, and
    the canonical (indented) spelling is made by json's pure-Python encoder; the compact key
    comes from its C encoder. Equal compact JSON means equal canonical JSON.
    """
    key = json.dumps(value, sort_keys=True, ensure_ascii=False, allow_nan=False)
    if key not in _SHORT:
        if len(_SHORT) > 4096:
            _SHORT.clear()
        _SHORT[key] = sha256_json(value)[:10]
    return _SHORT[key]


def sha256_json(value: Any) -> str:
    """contenthash.sha256_json, imported on first use (a remembered value needs no hash)."""
    from artfarm.rendering.contenthash import sha256_json as digest

    return digest(value)


def never_raises(compute: Callable[..., str]) -> Callable[..., str]:
    """A page's param: remembered across runs (paramcache); a broken page's is `invalid:…`."""

    @functools.wraps(compute)
    def safe(wildcards: Any) -> str:
        name = f"{compute.__name__}:{wildcards.page}"
        return remembered(wildcards.book, name, lambda book: compute(book, int(wildcards.page)))

    return safe


def remembered(book_id: str, name: str, compute: Callable[[DagBook], Any]) -> Any:
    """`compute(book)` through the book's param cache; an error's value is never stored.

    A remembered value needs neither the book's documents nor the compiler: they are opened
    (and imported) only when a value is computed.
    """

    def checked() -> Any:
        try:
            return compute(open_book(book_id))
        except (ArtfarmError, OSError, ValueError) as err:
            raise _Invalid(invalid_value(err)) from err

    try:
        return book_cache(f"books/{book_id}").get(name, checked)
    except _Invalid as err:
        return err.value


class _Invalid(Exception):
    def __init__(self, value: str) -> None:
        self.value = value


def invalid_value(err: Exception) -> str:
    """A param for a job whose documents are broken: its job recomputes and fails with its
    own line, while the other pages' (or sheets') jobs go on."""
    if isinstance(err, ArtfarmError):
        return "invalid:" + sha256_json([p.record() for p in err.problems])[:16]
    return f"invalid:{type(err).__name__}"


@functools.cache
def dag_book_type() -> type:
    """DagBook, defined on first use: importing the documents costs ~50 ms per Snakemake run."""
    from artfarm.documents.book import Book
    from artfarm.documents.renderspec import RenderSpec
    from artfarm.documents.settings import load_settings
    from artfarm.rendering.modelstore import ModelStore

    class DagBook(Book):
        """A book as one DAG build sees it: the model store set up once, each spec read once.

        Every page's params compile its stage and then explain the hash (which reads the spec
        again); the settings file was read once per page too. A spec is reused only while its
        file is unchanged (size, mtime), so a long-lived process never sees a stale one.
        The settings, read once per process, count as read by every value that uses the store
        (filereads.replay), or a remembered value would miss them; the book's documents are
        looked at (stat) on every use, so their versions are recorded anyway.
        """

        @functools.cached_property
        def _memos(self) -> dict[str, tuple[Any, filereads.Reads]]:
            return {}

        def _once(self, name: str, compute: Callable[[], Any]) -> Any:
            memo = self._memos.get(name)
            if memo is None:
                with filereads.recording() as reads:
                    value = compute()
                memo = self._memos[name] = (value, reads)
            filereads.replay(memo[1])
            return memo[0]

        @property
        def store(self) -> ModelStore:
            return self._once("store", lambda: ModelStore(load_settings().models_path))

        @functools.cached_property
        def _specs(self) -> dict[int, tuple[tuple[int, int, int], RenderSpec]]:
            return {}

        def load_spec(self, page: int) -> RenderSpec:
            try:
                stat = os.stat(self.spec_path(page))
            except OSError:
                return super().load_spec(page)  # the reader names the problem
            key = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
            cached = self._specs.get(page)
            if cached is None or cached[0] != key:
                cached = (key, super().load_spec(page))
                self._specs[page] = cached
            return cached[1]

    return DagBook


if TYPE_CHECKING:
    DagBook = Book


@functools.cache
def open_book(book_id: str) -> DagBook:
    return dag_book_type()(Path("books") / book_id)


def compile_page(book: DagBook, page: int, stage: str, **stage_args: Any) -> CompiledJob:
    from artfarm.rendering.compiler import compile_stage

    return compile_stage(book, page, stage, store=book.store, **stage_args)


def page_reference_paths(book_id: str, page: int) -> list[str]:
    """The page's reference files for the rules' inputs; none while its documents are broken."""

    def paths(book: DagBook) -> list[str]:
        from artfarm.rendering.references import page_references

        return [str(ref.path) for ref in page_references(book, page)]

    value = remembered(book_id, f"page_reference_paths:{page:04d}", paths)
    return [] if isinstance(value, str) else value  # broken: its job fails with its own line


def rendered_sheet_paths(book_id: str) -> set[str]:
    """The book's rendered bible items (sheets, golden images), spelled as
    page_reference_paths spells them."""

    def paths(book: DagBook) -> list[str]:
        return sorted(str(book.root / item.rendered) for item in book.bible.rendered_items())

    value = remembered(book_id, "rendered_sheet_paths", paths)
    return set() if isinstance(value, str) else set(value)


@never_raises
def draft_request(book: DagBook, page: int) -> str:
    return explained(book, page, compile_page(book, page, "draft"))


@never_raises
def thumb_request(book: DagBook, page: int) -> str:
    return explained(book, page, compile_page(book, page, "thumb"))


@never_raises
def draft_selection(book: DagBook, page: int) -> str:
    from artfarm.pipeline.reviewing import load_review

    review = load_review(book, page)
    if review is None or review.draft is None:
        return PENDING
    return sha256_json({"judged": review.draft.drafts_sha256, "selected": review.draft.selected})


@never_raises
def refine_request(book: DagBook, page: int) -> str:
    from artfarm.pipeline.manifest import MANIFEST, read_manifest

    folder = book.page_dir(page) / "selected"
    if not (folder / MANIFEST).is_file():
        return PENDING
    jobs = [
        compile_page(book, page, "refine", image=folder / o.file, candidate=o.id)
        for o in read_manifest(folder).outputs
    ]
    if len(jobs) == 1:
        return explained(book, page, jobs[0])
    return " | ".join(explained(book, page, job) for job in jobs)


@never_raises
def final_recipe(book: DagBook, page: int) -> str:
    """The refine section of the review, plus the first inpaint request (the fixes' recipe)."""
    from artfarm.pipeline.manifest import MANIFEST, read_manifest
    from artfarm.pipeline.reviewing import load_review

    review = load_review(book, page)
    if review is None or review.refine is None:
        return PENDING
    section = review.refine
    recipe: dict[str, Any] = {
        "judged": section.variants_sha256,
        "final": section.final,
        "fixes": [f.model_dump(mode="json") for f in section.fixes],
    }
    folder = book.page_dir(page) / "refine"
    if section.fixes and (folder / MANIFEST).is_file():
        chosen = read_manifest(folder).output(section.final)
        if chosen is not None:
            with tempfile.TemporaryDirectory() as masks:
                recipe["inpaint"] = compile_page(
                    book,
                    page,
                    "inpaint",
                    image=folder / chosen.file,
                    fix=section.fixes[0],
                    fix_index=0,
                    source=section.final,
                    workdir=Path(masks),
                ).request_hash
    return sha256_json(recipe)


@never_raises
def print_request(book: DagBook, page: int) -> str:
    final = book.page_dir(page) / "final" / "final.png"
    if not final.is_file():
        return PENDING
    return explained(book, page, compile_page(book, page, "upscale", image=final))


# ------------------------------------------------------------------------------- bible sheets


def sheet_params(compute: Callable[[Book, BibleItem], str]) -> Callable[[Any], str]:
    """As never_raises, for the rules of a bible item (wildcards `work` or `refs`, and `item`)."""

    @functools.wraps(compute)
    def safe(wildcards: Any) -> str:
        item = wildcard_item(wildcards)
        name = f"{compute.__name__}:{item.label}"
        return remembered(wildcards.book, name, lambda book: compute(book, item))

    return safe


def wildcard_item(wildcards: Any) -> BibleItem:
    """The bible item a rule of rules/bible.smk is about, from its folder wildcards."""
    from artfarm.documents.bible import ITEM_KINDS, BibleItem

    folder = getattr(wildcards, "work", None) or wildcards.refs
    return BibleItem(ITEM_KINDS[folder], wildcards.item)


def sheet_explained(book: Book, item: BibleItem, job: CompiledJob) -> str:
    """The item's request hash after what it comes from: its words in the bible, the pack."""
    from artfarm.rendering.compiler import item_entry

    entry = item_entry(book, item)
    named = {
        "bible": entry.model_dump(mode="json"),
        "forbidden": list(book.bible.forbidden),
        "models": job.request.get("models", {}),
        "inputs": job.request.get("uploads", {}),
    }
    sources = " ".join(f"{name}:{sha256_json(value)[:10]}" for name, value in named.items())
    return f"{sources} request:{job.request_hash}"


@sheet_params
def sheet_draft_request(book: Book, item: BibleItem) -> str:
    from artfarm.rendering.compiler import compile_item

    job = compile_item(book, item, "draft", store=getattr(book, "store", None))
    return sheet_explained(book, item, job)


@sheet_params
def sheet_selection(book: Book, item: BibleItem) -> str:
    from artfarm.pipeline.bible_items import load_item_review

    review = load_item_review(book, item)
    if review is None or review.draft is None:
        return PENDING
    return sha256_json({"judged": review.draft.drafts_sha256, "selected": review.draft.selected})


@sheet_params
def sheet_refine_request(book: Book, item: BibleItem) -> str:
    from artfarm.pipeline.bible_items import item_dir, refine_item_jobs
    from artfarm.pipeline.manifest import MANIFEST

    if not (item_dir(book, item) / "selected" / MANIFEST).is_file():
        return PENDING
    jobs = [job for _, job in refine_item_jobs(book, item)]
    return " | ".join(sheet_explained(book, item, job) for job in jobs)


@sheet_params
def sheet_final_recipe(book: Book, item: BibleItem) -> str:
    from artfarm.pipeline.bible_items import load_item_review

    review = load_item_review(book, item)
    if review is None or review.refine is None:
        return PENDING
    return sha256_json({"judged": review.refine.variants_sha256, "final": review.refine.final})
