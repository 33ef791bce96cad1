"""`artfarm validate`: check a whole book and report every problem at once.

Each check appends `Problem`s instead of stopping, so one run tells an agent everything to fix:
book config, bible, style pack, model lock, layout (spread parity, text that cannot fit,
pages without specs and specs without pages), scaffold placeholders left, every page spec,
and every review.json against the images it judged. Each check calls the code the pipeline
itself runs (the review gates, the model lock, the layout plan and template), so what
validate passes the pipeline does not refuse for a document's sake.

Warnings do not fail validation: prompts longer than the text encoder's window (77 CLIP
tokens, when a tier is sd15/sdxl; see artfarm.rendering.tokens), one line for the book naming
the longest; a page that names reference images its tiers' model family cannot put into a graph; a
golden image listing a page the book lacks, or one no page gets (never rendered nor used).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from artfarm.documents.book import PAGE_DIR, Book
from artfarm.documents.reader import book_file, load_json_model, open_image
from artfarm.documents.renderspec import RenderSpec
from artfarm.documents.review import Review
from artfarm.documents.settings import find_settings_file, load_settings
from artfarm.documents.stylepack import StylePack
from artfarm.layout.interior import text_fit_problems
from artfarm.layout.job import LayoutJob, open_job
from artfarm.pipeline.manifest import MANIFEST, read_manifest
from artfarm.pipeline.selection import (
    AwaitingReview,
    StaleReview,
    draft_review_for,
    refine_review_for,
)
from artfarm.problems import ArtfarmError, Problem
from artfarm.rendering.families import tier_family, tier_pin
from artfarm.rendering.modelstore import ModelStore, book_pins, lock_path, verified_hashes
from artfarm.rendering.prompts import compile_prompts, template_environment
from artfarm.rendering.references import page_references
from artfarm.rendering.tokens import TEXT_TOKENS, WINDOWS, count_tokens, words_past
from artfarm.scaffold import PLACEHOLDERS

T = TypeVar("T")


def collect(problems: list[Problem], load: Callable[[], T]) -> T | None:
    """Run `load`; on a user error keep its problems and return None."""
    try:
        return load()
    except ArtfarmError as err:
        problems.extend(err.problems)
        return None


def check_image(root: Path, relative: str, file: str, field: str) -> list[Problem]:
    """A referenced image must stay inside `root`, exist, and really be an image."""
    try:
        path = book_file(root, relative, source=file, field=field)
        with open_image(path, source=file, field=field) as image:
            image.verify()
    except ArtfarmError as err:
        return err.problems
    except (OSError, SyntaxError, ValueError) as err:
        problem = f"{relative[:60]!r} is not a readable image ({str(err)[:80]})"
        return [Problem(file, field, problem, "use a PNG or JPEG")]
    return []


def validate_book(path: str | Path) -> list[Problem]:
    """Every problem the pipeline would refuse the book for (warnings: `book_warnings`)."""
    problems: list[Problem] = []
    book = collect(problems, lambda: Book.open(path))
    if book is None:
        return problems
    config = collect(problems, lambda: book.config)
    if config is not None and config.book_id != book.id:
        problems.append(
            Problem(
                str(book.config_path),
                "book_id",
                f"book_id is {config.book_id!r} but the folder is {book.id!r}",
                f"set book_id to {book.id!r}",
            )
        )
    bible = collect(problems, lambda: book.bible)
    if bible is not None:
        for i, entry in enumerate(bible.characters):
            problems += placeholder_left(
                entry.description, str(book.characters_path), f"characters[{i}].description"
            )
            for j, sheet in enumerate(entry.sheets):
                problems += check_image(
                    book.root, sheet, str(book.characters_path), f"characters[{i}].sheets[{j}]"
                )
        for i, ref in enumerate(bible.style_refs):
            if ref.image is not None:  # a rendered one exists once approved
                problems += check_image(
                    book.root, ref.image, str(book.characters_path), f"style_refs[{i}].image"
                )
    if config is not None:
        problems += check_models(book)
    pack = collect(problems, lambda: book.style_pack) if config is not None else None
    if pack is not None:
        problems += check_style_pack(book, pack)
    problems += check_layout(book)
    problems += check_page_folders(book)
    for page in book.page_numbers():
        problems += check_page(book, page, pack if bible is not None else None)
    return problems


def check_style_pack(book: Book, pack: StylePack) -> list[Problem]:
    problems: list[Problem] = []
    file = str(pack.directory / "stylepack.yaml")
    if pack.name != pack.directory.name:
        problems.append(
            Problem(file, "name", f"name {pack.name!r} differs from the folder", "make them equal")
        )
    env = template_environment(pack, book.templates_dir)
    for field in ("positive_template", "negative_template"):
        name = getattr(pack.spec, field)
        try:
            env.get_template(name)
        except Exception as err:
            problems.append(Problem(file, field, f"template {name!r}: {err}", "fix or create it"))
    for i, palette in enumerate(pack.spec.palettes):
        problems += check_image(pack.directory, palette, file, f"palettes[{i}]")
    return problems + unpinned_loras(book, pack)


def unpinned_loras(book: Book, pack: StylePack) -> list[Problem]:
    """The pack's LoRAs the book must pin: only an sd15/sdxl tier's graphs chain them."""
    if not any(tier_family(book, tier).checkpoint for tier in ("draft", "final")):
        return []
    file = str(pack.directory / "stylepack.yaml")
    pinned = set(book.config.models.loras)
    problems = []
    for i, lora in enumerate(pack.spec.loras):
        if lora.name not in pinned:
            problems.append(
                Problem(
                    file,
                    f"loras[{i}].name",
                    f"LoRA {lora.name!r} is not pinned by the book",
                    f"add it to models.loras in {book.config_path}",
                )
            )
    return problems


def placeholder_left(text: str, file: str, field: str) -> list[Problem]:
    """Scaffold text still in place: the pipeline would render (or print) the instruction."""
    if text.strip() not in PLACEHOLDERS:
        return []
    return [
        Problem(
            file,
            field,
            f"still the scaffold's placeholder {text.strip()!r}",
            "replace it with your own words",
        )
    ]


def check_models(book: Book) -> list[Problem]:
    """Every pinned model present in the store and locked with its current hash."""
    problems: list[Problem] = []
    settings = collect(problems, lambda: load_settings(find_settings_file(book.root)))
    if settings is None:
        return problems
    if not lock_path(book).is_file():
        return [
            Problem(
                str(lock_path(book)),
                "",
                "the book's models are not locked (no models.lock.json)",
                f"run `artfarm models lock --book {book.root}`",
            )
        ]
    store = ModelStore(settings.models_path)
    collect(problems, lambda: verified_hashes(book, store, list(book_pins(book).values())))
    return problems


def check_layout(book: Book) -> list[Problem]:
    """The layout plan and template the layout rules use: parity, fit, pages ↔ specs."""
    if not book.layout_path.is_file():
        return [
            Problem(
                str(book.layout_path), "", "layout/book.yaml is missing", "create it (see README)"
            )
        ]
    problems: list[Problem] = []
    job = collect(problems, lambda: open_job(book.root))
    if job is None:
        return problems
    problems += layout_pages_match_specs(book, job)
    for i, entry in enumerate(job.spec.pages):
        problems += placeholder_left(entry.text, job.spec_file, f"pages[{i}].text")
    return problems + text_fit_problems(job)


def layout_pages_match_specs(book: Book, job: LayoutJob) -> list[Problem]:
    specs = set(book.page_numbers())
    listed = {entry.page for entry in job.spec.pages}
    problems = [
        Problem(
            job.spec_file,
            f"pages[{i}].page",
            f"page {entry.page} has no pages/{entry.page:04d}/renderspec.json",
            "add the page's spec (`artfarm new-page`) or fix the number",
        )
        for i, entry in enumerate(job.spec.pages)
        if entry.page not in specs
    ]
    problems += [
        Problem(
            str(book.spec_path(page)),
            "page",
            f"page {page} has a spec but no entry in layout/book.yaml (it would never be printed)",
            f"add `- page: {page}` with its text to pages in {job.spec_file}, or remove the page",
        )
        for page in sorted(specs - listed)
    ]
    return problems


def check_page_folders(book: Book) -> list[Problem]:
    if not book.pages_dir.is_dir():
        return [
            Problem(str(book.pages_dir), "", "no pages folder", "add pages with `artfarm new-page`")
        ]
    problems = []
    for entry in sorted(book.pages_dir.iterdir()):
        if entry.is_dir() and not PAGE_DIR.match(entry.name):
            problems.append(
                Problem(str(entry), "", "page folders are named NNNN", "rename it, e.g. 0007")
            )
        elif entry.is_dir() and not (entry / "renderspec.json").is_file():
            problems.append(
                Problem(str(entry), "", "page folder has no renderspec.json", "add the spec")
            )
    return problems


def check_page(book: Book, page: int, pack: StylePack | None) -> list[Problem]:
    problems: list[Problem] = []
    file = str(book.spec_path(page))
    spec = collect(problems, lambda: book.load_spec(page))
    if spec is None:
        return problems
    problems += check_spec_against_book(book, spec, file)
    problems += placeholder_left(spec.scene, file, "scene")
    for i, ref in enumerate(spec.refs.style):
        problems += check_image(book.root, ref, file, f"refs.style[{i}]")
    for cid, refs in spec.refs.characters.items():
        for i, ref in enumerate(refs):
            problems += check_image(book.root, ref, file, f"refs.characters.{cid}[{i}]")
    bible_ok = not any(p.field.startswith("characters[") for p in problems)
    if pack is not None and bible_ok:
        collect(
            problems,
            lambda: compile_prompts(spec, pack, book.bible, book.templates_dir, source=file),
        )
    if os.path.lexists(book.review_path(page)):  # the reader refuses what is not a file
        problems += check_review(book, page)
    return problems


def check_spec_against_book(book: Book, spec: RenderSpec, file: str) -> list[Problem]:
    problems = []
    if spec.book_id != book.id:
        problems.append(
            Problem(file, "book_id", f"book_id is {spec.book_id!r}", f"set it to {book.id!r}")
        )
    try:
        config = book.config
    except ArtfarmError:
        config = None
    if config is not None and spec.style_pack != config.style_pack:
        problems.append(
            Problem(
                file,
                "style_pack",
                f"style pack {spec.style_pack!r} differs from the book's pin {config.style_pack!r}",
                f"set style_pack to {config.style_pack!r} (or re-pin the book deliberately)",
            )
        )
    try:
        known = book.bible.by_id()
    except ArtfarmError:
        return problems
    for i, character in enumerate(spec.characters):
        if character.id not in known:
            problems.append(
                Problem(
                    file,
                    f"characters[{i}].id",
                    f"character {character.id!r} is not in the bible",
                    f"use one of {', '.join(sorted(known))} or add it to bible/characters.yaml",
                )
            )
    return problems


def check_review(book: Book, page: int) -> list[Problem]:
    problems: list[Problem] = []
    path = book.review_path(page)
    review = collect(problems, lambda: load_json_model(Review, path, "review", root=book.root))
    if review is not None and (review.page != page or review.book_id != book.id):
        problems.append(
            Problem(
                str(path),
                "page",
                f"review is for {review.book_id} page {review.page}",
                f"set book_id {book.id!r} and page {page}",
            )
        )
    if review is not None:
        problems += gate_problems(book, page)
    return problems


def gate_problems(book: Book, page: int) -> list[Problem]:
    """What the review gates would refuse: unknown ids, missing reasons, masks, stale hashes.

    A section not written yet is no problem (the page simply waits); a stale one is.
    """
    problems: list[Problem] = []
    gates = (("draft", draft_review_for), ("refine", refine_review_for))
    for folder, gate in gates:
        stage_dir = book.page_dir(page) / folder
        if not (stage_dir / MANIFEST).is_file():
            continue
        try:
            gate(book, page, read_manifest(stage_dir))
        except StaleReview as err:
            problems += err.problems
        except AwaitingReview:
            continue
        except ArtfarmError as err:
            problems += err.problems
    return problems


def book_warnings(path: str | Path) -> list[Problem]:
    """What the pipeline accepts but an agent should fix: prompts past the CLIP window (on a
    tier whose family encodes with CLIP alone), references a family cannot use."""
    try:
        book = Book.open(path)
    except ArtfarmError:
        return []
    return (
        token_warnings(book)
        + unused_references(book)
        + golden_pages_missing(book)
        + golden_images_unused(book)
    )


def golden_pages_missing(book: Book) -> list[Problem]:
    """Golden images listing pages the book has no spec for: a typo, or a page not made yet
    (`artfarm new-page`); either way the page they meant does not get them."""
    try:
        refs = book.bible.style_refs
    except ArtfarmError:
        return []
    have = set(book.page_numbers())
    warnings = []
    for i, ref in enumerate(refs):
        missing = [p for p in ref.pages if p not in have]
        if missing:
            warnings.append(
                Problem(
                    str(book.characters_path),
                    f"style_refs[{i}].pages",
                    f"golden image {ref.id!r} lists {_pages_phrase(missing)}, which the book "
                    f"has no spec for (it has {_pages_phrase(sorted(have)) or 'no pages'})",
                    "fix the page numbers, or add the pages with `artfarm new-page`",
                )
            )
    return warnings


def golden_images_unused(book: Book) -> list[Problem]:
    """Golden images no page gets (Bible.for_page): the pages they list all name their own
    `refs.style`, or they list none while every page gets others. The pipeline renders a
    golden image only as an input of a page that uses it, so such an entry is silently never
    rendered nor used; a book with no pages yet is not warned."""
    try:
        refs = book.bible.style_refs
    except ArtfarmError:
        return []
    pages = book.page_numbers()
    own = [p for p in pages if _names_own_style(book, p)]
    used = {ref.id for p in pages if p not in own for ref in book.bible.for_page(p)}
    warnings = []
    for i, ref in enumerate(refs):
        listed = [p for p in ref.pages if p in pages]
        if ref.id in used or not pages or (ref.pages and not listed):
            continue  # used, or golden_pages_missing already names the pages it lists
        never = "never rendered nor used" if ref.render is not None else "never used"
        if listed:
            verb = "names its" if len(listed) == 1 else "name their"
            why = f"{_pages_phrase(listed)} it lists {verb} own refs.style"
            fix = "remove refs.style from those pages' specs, or remove this golden image"
        else:
            why = "it lists no page and every page names its own refs.style or gets the "
            why += "golden images that list it"
            fix = "list the pages it should style in its pages:, or remove this golden image"
        warnings.append(
            Problem(
                str(book.characters_path),
                f"style_refs[{i}]",
                f"golden image {ref.id!r} reaches no page ({why}): it is {never}",
                fix,
            )
        )
    return warnings


def _names_own_style(book: Book, page: int) -> bool:
    """Whether a page's spec names its own style reference (an unreadable spec counts as
    not: validate_book reports it, and this warning must not guess)."""
    try:
        return bool(book.load_spec(page).refs.style)
    except ArtfarmError:
        return False


def clip_window_tiers(book: Book) -> list[str]:
    """The tiers whose family reads the prompt through CLIP's 77-token window (sd15, sdxl);
    flux-kontext's T5 and qwen's vision-language encoder read far longer prompts."""
    try:
        return [t for t in ("draft", "final") if tier_pin(book, t).family in WINDOWS]
    except ArtfarmError:
        return []


def token_warnings(book: Book) -> list[Problem]:
    """One line for the book when prompts run past CLIP's first window, naming the longest.

    ComfyUI's CLIPTextEncode does not cut a long prompt: it encodes every further 75 tokens
    as a window of its own and joins them, so later words still count but weigh less and do
    not see the words before them. The fix is the same for every page (what matters first,
    shorter bible descriptions), so a line per page and prompt only buries other warnings.
    """
    tiers = clip_window_tiers(book)
    if not tiers:
        return []
    try:
        pack, bible = book.style_pack, book.bible
    except ArtfarmError:
        return []
    long: list[tuple[int, str, int, str]] = []  # (tokens, prompt, page, overflow)
    for page in book.page_numbers():
        try:
            prompts = compile_prompts(book.load_spec(page), pack, bible, book.templates_dir)
        except ArtfarmError:
            continue  # validate_book reports it
        for name, text in (("positive", prompts.positive), ("negative", prompts.negative)):
            counted = count_tokens(text)
            if not counted.fits:
                long.append((counted.tokens, name, page, counted.overflow))
    if not long:
        return []
    tokens, name, page, overflow = max(long, key=lambda item: (item[0], -item[2]))
    pages = sorted({item[2] for item in long})
    families = ", ".join(f"models.{t}: {tier_pin(book, t).family}" for t in tiers)
    windows = -(-tokens // TEXT_TOKENS)
    return [
        Problem(
            str(book.spec_path(page)),
            f"prompt.{name}",
            f"{_pages_phrase(pages)}: prompts run past CLIP's {TEXT_TOKENS + 2}-token window "
            f"({families}); the longest, page {page}'s {name} prompt, is ~{tokens} tokens, "
            f"{windows} windows. ComfyUI encodes each window alone and joins them: nothing is "
            f"cut, but later words weigh less; page {page}'s second window opens at: "
            f"{words_past(overflow)}",
            "put what matters first (scene, then characters), shorten the bible's "
            f"descriptions; `artfarm prompt {book.root} {page}` shows its whole text",
        )
    ]


def unused_references(book: Book) -> list[Problem]:
    """Pages with reference images (their spec's refs, their characters' sheets, golden
    images) while a tier's family takes none into its graphs.

    One line for the book, not one per page: the fix is one pin in book_config.yaml.
    """
    try:
        blind = [t for t in ("draft", "final") if tier_family(book, t).reference_slots == 0]
    except ArtfarmError:
        return []
    if not blind:
        return []
    pages, images = [], 0
    for page in book.page_numbers():
        try:
            count = len(page_references(book, page))
        except ArtfarmError:
            continue  # validate_book reports it
        if count:
            pages.append(page)
            images += count
    if not pages:
        return []
    families = ", ".join(f"models.{t}: {tier_pin(book, t).family}" for t in blind)
    return [
        Problem(
            str(book.config_path),
            "models",
            f"{_pages_phrase(pages)} {'has' if len(pages) == 1 else 'have'} {images} reference "
            f"image(s) (sheets, golden images, spec refs) that {families} cannot use: they "
            "reach no graph, only the bible's words reach the prompt",
            "pin a flux-kontext or qwen-image-edit-plus model for that tier to draw from them",
        )
    ]


def _pages_phrase(pages: list[int]) -> str:
    """`page 3`, or `pages 1–4, 7`: runs of consecutive pages joined."""
    runs: list[list[int]] = []
    for page in pages:
        if runs and page == runs[-1][-1] + 1:
            runs[-1].append(page)
        else:
            runs.append([page])
    text = ", ".join(f"{r[0]}–{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)
    return f"page{'s' if len(pages) > 1 else ''} {text}"
