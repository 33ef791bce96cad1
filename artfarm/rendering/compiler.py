"""Compile one stage of one page into the exact ComfyUI graph to submit, and its identity.

    compile_stage(book, page, "draft")                                   spec → N candidates
    compile_stage(book, page, "refine", image=path, candidate="c03")      draft → variants
    compile_stage(book, page, "inpaint", image=path, fix=fix, fix_index=0) one review fix
    compile_stage(book, page, "upscale", image=path)                      final → print size
    compile_stage(book, page, "thumb")                          spec → 1 storyboard thumbnail
    compile_item(book, BibleItem("sheet", "bear"), "draft")  /  (…, "refine", image=path, …)
                                          a bible item (character sheet or golden image) from
                                          its bible words (Phase 0)

Values come from the spec (prompts, seed, counts), the style pack's tier (sampler settings,
LoRAs, ControlNet) and the book (model pins; draft and refine sizes from the page's canvas,
`canvas.page_canvas`: the shape of its place in the layout). The request — graph with uploads and
models replaced by their sha256, ids canonicalised — is the render's identity: its hash names
the job, the output folder prefix and the cache entry. Each input image is named in the graph
by its content (`comfy.uploads.upload_name`), the name the client uploads it under, so the
compiled graph is the one submitted.

Inpaint is a low-disruption fix on an ordinary checkpoint (workflows/inpaint.json): the image is
encoded as is, SetLatentNoiseMask limits the sampler (tier denoise, ~0.5–0.7) to the mask grown
by the tier's `grow_mask_by` (GrowMask `grow_mask`), and ImageCompositeMasked (`composite`)
pastes the decoded result over the original through the feathered mask artfarm drew — so every
pixel outside that mask is the original's, byte for byte, on any server (a VAE round trip alone
would shift them all a little). The output has the original's size. For an inpainting
checkpoint, `template="variants/inpaint_model"` uses VAEEncodeForInpaint (slot
`inpaint_encode`) instead: it greys out the masked pixels, so the compiler runs it at denoise
1.0, and its output is the decoded image (size cut to multiples of 8, every pixel re-encoded).
"""

from __future__ import annotations

import copy
import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from artfarm.comfy.uploads import upload_name
from artfarm.documents.bible import SHEET, BibleItem, CharacterEntry, StyleRefEntry
from artfarm.documents.book import Book
from artfarm.documents.reader import book_file, image_size
from artfarm.documents.renderspec import (
    Camera,
    CharacterInScene,
    Environment,
    RenderSpec,
)
from artfarm.documents.settings import load_settings
from artfarm.documents.stylepack import Tier
from artfarm.problems import ArtfarmError, Problem
from artfarm.rendering.canvas import page_canvas
from artfarm.rendering.constraints import constraint_words
from artfarm.rendering.contenthash import sha256_file, sha256_json
from artfarm.rendering.families import (
    REFERENCE_STAGES,
    Family,
    assign_references,
    family_template,
    loader_values,
    prompt_values,
    stage_tier,
    tier_family,
    tier_pin,
)
from artfarm.rendering.modelstore import ModelRef, ModelStore, book_pins, verified_hashes
from artfarm.rendering.prompts import Prompts, compile_prompts, tidy
from artfarm.rendering.reference_board import write_board
from artfarm.rendering.references import STYLE, page_references
from artfarm.rendering.seeds import stage_seed
from artfarm.rendering.workflow import (
    WORKFLOWS_DIR,
    Graph,
    Template,
    bypass,
    canonical_graph,
    fill_slots,
    insert_loras,
    insert_vae,
    load_template,
    missing_nodes,
    prune_unreachable,
    unplug,
)

if TYPE_CHECKING:  # the inpaint stage alone reads reviews (and masks, imported there)
    from artfarm.documents.review import InpaintFix

STAGES = ("draft", "refine", "inpaint", "upscale")
TEMPLATES = {"draft": "draft", "refine": "refine", "inpaint": "inpaint", "upscale": "upscale_print"}
STAGES += ("thumb",)
TEMPLATES["thumb"] = "draft"
REQUEST_VERSION = 1
REDUX_SLOT = "redux_ref"  # the style reference's LoadImage when a tier pins a Redux model


@dataclass(frozen=True)
class Outputs:
    """What the job must produce: `count` images of `width`×`height`."""

    count: int
    width: int
    height: int


@dataclass(frozen=True)
class CompiledJob:
    stage: str
    template: Path
    graph: Graph
    inputs: dict[str, Path]
    request: dict[str, Any]
    request_hash: str
    outputs: Outputs
    seed: int
    filename_prefix: str

    def check(self, object_info: Mapping[str, Any], server: str = "server") -> None:
        """Refuse the job before submitting: nodes the server lacks (with their pack), bad inputs."""
        problems = missing_nodes(self.graph, object_info, str(self.template))
        if problems:
            raise ArtfarmError(problems)
        from artfarm.comfy.objectinfo import validate_graph

        errors = validate_graph(self.graph, object_info)
        if errors:
            raise ArtfarmError(e.problem(server) for e in errors)


@dataclass
class _Plan:
    """What a stage decides before the graph is built."""

    values: dict[str, dict[str, Any]]
    checkpoint: ModelRef
    vae: ModelRef | None
    seed: int
    seed_source: str
    outputs: Outputs
    inputs: dict[str, Path] = field(default_factory=dict)
    extra_models: list[ModelRef] = field(default_factory=list)
    optional: set[str] = field(default_factory=set)
    remove: list[tuple[str, str]] = field(default_factory=list)  # (title, input to pass through)
    controlnet: bool = False
    unplug: set[str] = field(default_factory=set)  # reference slots the page leaves empty
    references: dict[str, list[str]] = field(default_factory=dict)  # slot → what went into it
    redux: tuple[str, str] | None = None  # (style model, clip vision) for the style reference


@dataclass(frozen=True)
class _Page:
    book: Book
    page: int
    spec: RenderSpec
    prompts: Prompts
    workdir: Path
    slots: frozenset[str]  # the template's slot titles: a planner may serve a variant's shape


def compile_stage(
    book: Book,
    page: int,
    stage: str,
    *,
    store: ModelStore | None = None,
    template: str | None = None,
    workflows_dir: Path | None = None,
    workdir: Path | None = None,
    **stage_args: Any,
) -> CompiledJob:
    """The exact graph for `stage` of `page`, its uploads and its request (see module doc).

    `template` picks another workflow file (e.g. "variants/draft_ipadapter", or
    "variants/inpaint_model" for an inpainting checkpoint, see module doc); `workdir` is
    where artfarm writes files it makes for the job (inpaint masks; default: the page folder).
    """
    if stage not in STAGES:
        raise ArtfarmError.single(
            "stage", "", f"unknown stage {stage!r}", f"use one of: {', '.join(STAGES)}"
        )
    store = store or ModelStore(load_settings().models_path)
    spec = book.load_spec(page)
    prompts = compile_prompts(
        spec, book.style_pack, book.bible, book.templates_dir, str(book.spec_path(page))
    )
    name = family_template(
        book, stage, template or TEMPLATES[stage], workflows_dir or WORKFLOWS_DIR
    )
    tmpl = load_template(name, workflows_dir)
    workdir = workdir or book.page_dir(page) / "masks"
    ctx = _Page(book, page, spec, prompts, workdir, frozenset(tmpl.slots()))
    plan = _PLANNERS[stage](ctx, **stage_args)
    family = tier_family(book, stage_tier(stage))
    _apply_family(ctx, plan, tmpl, stage, family)
    _drop_absent_optional(plan, tmpl)
    loras = _pack_loras(book) if family.checkpoint else []
    models = [plan.checkpoint, *([plan.vae] if plan.vae else []), *plan.extra_models]
    models += [ModelRef("loras", name) for name, _, _ in loras]
    if plan.controlnet:
        models.append(ModelRef("controlnet", book.config.models.controlnet or ""))
    hashes = verified_hashes(book, store, models)
    graph = _build_graph(ctx, tmpl, plan, loras)
    return _finish(ctx, stage, tmpl, plan, graph, hashes)


def _drop_absent_optional(plan: _Plan, tmpl: Template) -> None:
    """Optional slots (a variant's style reference) count only when the template has them."""
    present = tmpl.slots()
    for title in plan.optional - set(present):
        plan.values.pop(title, None)
        plan.inputs.pop(title, None)


def _build_graph(ctx: _Page, tmpl: Template, plan: _Plan, loras) -> Graph:
    tmpl = _without(tmpl, plan.remove)
    if plan.unplug:
        tmpl = Template(tmpl.name, tmpl.path, unplug(tmpl.graph, plan.unplug))
    graph, problems = fill_slots(tmpl, plan.values, plan.optional)
    if problems:
        raise ArtfarmError(problems)
    slots = {t: n for t, n in tmpl.slots().items()}
    if "checkpoint" in slots:  # a checkpoint family: an extra VAE and the pack's LoRAs
        loader = slots["checkpoint"]
        if plan.vae:
            insert_vae(graph, loader, plan.vae.name)
        insert_loras(graph, loader, loras)
    if plan.controlnet:
        _insert_controlnet(ctx.book, graph, slots["sampler"], slots["scale"])
    if plan.redux:
        _insert_redux(graph, slots["sampler"], *plan.redux)
    return graph


def _without(tmpl: Template, remove: list[tuple[str, str]]) -> Template:
    """The template with optional nodes bypassed (e.g. the upscale model when none is pinned)."""
    if not remove:
        return tmpl
    graph = copy.deepcopy(tmpl.graph)
    slots = tmpl.slots()
    for title, through in remove:
        if title not in slots:
            raise ArtfarmError.single(
                str(tmpl.path), title, f"the template has no node titled {title!r}", "restore it"
            )
        bypass(graph, slots[title], through)
    outputs = [
        n for n, node in graph.items() if node["class_type"] in ("SaveImage", "PreviewImage")
    ]
    prune_unreachable(graph, outputs)
    return Template(tmpl.name, tmpl.path, graph)


def _finish(ctx, stage, tmpl: Template, plan: _Plan, graph: Graph, hashes) -> CompiledJob:
    uploads = {title: sha256_file(path) for title, path in plan.inputs.items()}
    slots = {t: n for t, n in Template(tmpl.name, tmpl.path, graph).slots().items()}
    for title, path in plan.inputs.items():
        graph[slots[title]]["inputs"]["image"] = upload_name(uploads[title], path.suffix)
    identity = copy.deepcopy(graph)
    for title in plan.inputs:
        identity[slots[title]]["inputs"]["image"] = f"sha256:{uploads[title]}"
    identity[slots["save"]]["inputs"]["filename_prefix"] = ""
    request = {
        "artfarm_request": REQUEST_VERSION,
        "stage": stage,
        "graph": canonical_graph(identity),
        "models": dict(sorted(hashes.items())),
        "uploads": dict(sorted(uploads.items())),
        "seeds": {
            "sampler": plan.seed,
            "spec_seed": ctx.spec.seed,
            "derived_from": f"{stage}:{plan.seed_source}" if stage != "draft" else "spec",
        },
        "outputs": {
            "count": plan.outputs.count,
            "width": plan.outputs.width,
            "height": plan.outputs.height,
        },
    }
    if plan.references:  # which reference image went into which slot (the manifest shows it)
        request["references"] = plan.references
    request_hash = sha256_json(request)
    prefix = f"artfarm/{ctx.book.id}/{ctx.page:04d}/{stage}/{request_hash[:16]}"
    graph[slots["save"]]["inputs"]["filename_prefix"] = prefix
    return CompiledJob(
        stage=stage,
        template=tmpl.path,
        graph=graph,
        inputs=dict(plan.inputs),
        request=request,
        request_hash=request_hash,
        outputs=plan.outputs,
        seed=plan.seed,
        filename_prefix=prefix,
    )


# ------------------------------------------------------------------------------- model families


def _apply_family(
    ctx: _Page, plan: _Plan, tmpl: Template, stage: str, family: Family, refs: list | None = None
) -> None:
    """The tier's loaders, prompt inputs and cfg as its family needs; its reference slots
    (`refs`: the page's references by default)."""
    prompt_values(plan.values, family)
    if family.cfg is not None and "sampler" in plan.values:
        plan.values["sampler"]["cfg"] = family.cfg
    if not family.checkpoint:
        pin = tier_pin(ctx.book, stage_tier(stage))
        plan.values.pop("checkpoint", None)
        plan.values.update(loader_values(pin, family))
        files = [ModelRef(folder, name) for folder, name in pin.files()]
        plan.checkpoint, plan.vae, plan.controlnet = files[0], None, False
        plan.extra_models.extend(files[1:])
    slots = [t for t in tmpl.slots() if t.startswith("ref_")]
    if not slots:
        return
    if refs is None:
        refs = page_references(ctx.book, ctx.page) if stage in REFERENCE_STAGES else []
    refs = _style_through_redux(ctx, plan, stage, refs)
    assigned = assign_references(refs, len(slots))
    for one in assigned:
        plan.values[one.slot] = {"image": f"{one.slot}.png"}
        plan.inputs[one.slot] = _reference_file(ctx, [r.path for r in one.references])
        plan.references[one.slot] = [_reference_name(ctx.book, r) for r in one.references]
    plan.unplug = set(slots) - {a.slot for a in assigned}
    if "reference" in tmpl.slots():
        if assigned:
            plan.values["reference"] = {}
        else:  # no reference at all: the prompt alone conditions the sampler
            plan.remove.append(("reference", "conditioning"))


def _style_through_redux(ctx: _Page, plan: _Plan, stage: str, refs: list) -> list:
    """With a style model pinned, the style references go to StyleModelApply (slot
    `redux_ref`, a board when several) and the reference slots keep the characters."""
    pin = tier_pin(ctx.book, stage_tier(stage))
    styles = [r for r in refs if r.kind == STYLE]
    if not pin.style_model or not pin.clip_vision or not styles:
        return refs
    plan.inputs[REDUX_SLOT] = _reference_file(ctx, [r.path for r in styles])
    plan.references[REDUX_SLOT] = [_reference_name(ctx.book, r) for r in styles]
    plan.redux = (pin.style_model, pin.clip_vision)
    return [r for r in refs if r.kind != STYLE]


def _insert_redux(graph: Graph, sampler: str, style_model: str, clip_vision: str) -> None:
    """Redux: the style reference's CLIP vision embedding joins the sampler's positive."""
    from artfarm.rendering.workflow import add_node

    image = add_node(graph, "LoadImage", REDUX_SLOT, image=f"{REDUX_SLOT}.png")
    vision = add_node(graph, "CLIPVisionLoader", "Redux CLIP vision", clip_name=clip_vision)
    encoded = add_node(
        graph, "CLIPVisionEncode", "Redux encode", clip_vision=[vision, 0], image=[image, 0],
        crop="center",
    )  # fmt: skip
    model = add_node(graph, "StyleModelLoader", "Redux style model", style_model_name=style_model)
    inputs = graph[sampler]["inputs"]
    apply = add_node(
        graph, "StyleModelApply", "Redux style", conditioning=inputs["positive"],
        style_model=[model, 0], clip_vision_output=[encoded, 0], strength=1.0,
        strength_type="multiply",
    )  # fmt: skip
    inputs["positive"] = [apply, 0]


def _reference_file(ctx: _Page, paths: list[Path]) -> Path:
    """The one reference image itself, or the board of several (written to the job's workdir)."""
    source = str(ctx.book.spec_path(ctx.page))
    for path in paths:
        _refuse_unrendered_sheet(ctx.book, path, source)
    if len(paths) == 1:
        return book_file(ctx.book.root, _relative(ctx.book, paths[0]), source=source, field="refs")
    for path in paths:
        book_file(ctx.book.root, _relative(ctx.book, path), source=source, field="refs")
    return write_board(paths, ctx.workdir, source=source, field="refs")


def _refuse_unrendered_sheet(book: Book, path: Path, source: str) -> None:
    """A page waits for a bible item the pipeline renders (Phase 0: a character's sheet, a
    golden image): say that, not "no such file"."""
    relative = _relative(book, path)
    for item in book.bible.rendered_items():
        if item.rendered == relative and not os.path.lexists(path):
            where = f"characters.{item.id}" if item.kind == SHEET else f"style_refs.{item.id}"
            noun = f"{item.id}'s rendered sheet" if item.kind == SHEET else "the golden image"
            raise ArtfarmError.single(
                source,
                where,
                f"the page uses {noun} ({relative}), not approved yet",
                f"render and review {item.label} first (`snakemake {book.root}/layout/pages.pdf`, "
                f"`artfarm next {book.root}`)",
            )


def _relative(book: Book, path: Path) -> str:
    return path.relative_to(book.root).as_posix()


def _reference_name(book: Book, ref) -> str:
    return f"{ref.kind}:{ref.id} {_relative(book, ref.path)}"


# ------------------------------------------------------------------------------- stage planners


def _sampler(tier: Tier, seed: int, denoise: float | None = None) -> dict[str, Any]:
    return {
        "seed": seed,
        "steps": tier.steps,
        "cfg": float(tier.cfg),
        "sampler_name": tier.sampler,
        "scheduler": tier.scheduler,
        "denoise": float(tier.denoise if denoise is None else denoise),
    }


def _common(checkpoint: ModelRef, prompts: Prompts, tier: Tier, seed: int, **kw):
    return {
        "checkpoint": {"ckpt_name": checkpoint.name},
        "positive": {"text": prompts.positive},
        "negative": {"text": prompts.negative},
        "sampler": _sampler(tier, seed, kw.get("denoise")),
        "save": {"filename_prefix": "artfarm/pending"},
    }


def _tier_models(book: Book, tier: str) -> tuple[ModelRef, ModelRef | None]:
    pins = book_pins(book)
    return pins[f"{tier}_checkpoint"], pins.get(f"{tier}_vae")


def _plan_draft(ctx: _Page) -> _Plan:
    book, spec = ctx.book, ctx.spec
    width, height = page_canvas(book, ctx.page).draft
    checkpoint, vae = _tier_models(book, "draft")
    seed = stage_seed(spec.seed, "draft")
    values = _common(checkpoint, ctx.prompts, book.style_pack.spec.tiers.draft, seed)
    values["latent"] = {"width": width, "height": height, "batch_size": spec.candidates}
    plan = _Plan(
        values,
        checkpoint,
        vae,
        seed,
        "spec",
        Outputs(spec.candidates, width, height),
        optional={"style_ref"},
    )
    if spec.refs.style:
        plan.values["style_ref"] = {"image": "style_ref.png"}
        plan.inputs["style_ref"] = book_file(
            book.root,
            spec.refs.style[0],
            source=str(book.spec_path(spec.page)),
            field="refs.style[0]",
        )
    return plan


def _plan_thumb(ctx: _Page) -> _Plan:
    """The draft job made cheap for the storyboard: same model, prompts and references, one
    candidate at the canvas's thumbnail size, the pack's thumb tier (fewer steps)."""
    plan = _plan_draft(ctx)
    tier = ctx.book.style_pack.spec.tiers.thumb_tier()
    seed = stage_seed(ctx.spec.seed, "thumb")
    width, height = page_canvas(ctx.book, ctx.page).thumb
    plan.values["sampler"] = _sampler(tier, seed)
    plan.values["latent"] = {"width": width, "height": height, "batch_size": 1}
    plan.seed, plan.outputs = seed, Outputs(1, width, height)
    return plan


def _plan_refine(ctx: _Page, *, image: Path, candidate: str) -> _Plan:
    size = page_canvas(ctx.book, ctx.page).final
    seed = stage_seed(ctx.spec.seed, "refine", candidate)
    return _refine_plan(ctx, image, candidate, size, seed)


def _refine_plan(
    ctx: _Page, image: Path, candidate: str, size: tuple[int, int], seed: int
) -> _Plan:
    """A selected draft scaled to `size` and re-rendered by the final tier (page or sheet)."""
    book, spec = ctx.book, ctx.spec
    width, height = size
    checkpoint, vae = _tier_models(book, "final")
    values = _common(checkpoint, ctx.prompts, book.style_pack.spec.tiers.refine, seed)
    values["init_image"] = {"image": "draft.png"}
    values["scale"] = {"width": width, "height": height}
    values["batch"] = {"amount": spec.refine_variants}
    return _Plan(
        values,
        checkpoint,
        vae,
        seed,
        candidate,
        Outputs(spec.refine_variants, width, height),
        inputs={"init_image": _existing(image, "image")},
        controlnet=_uses_controlnet(book),
    )


def _plan_inpaint(
    ctx: _Page, *, image: Path, fix: InpaintFix, fix_index: int, source: str = "final"
) -> _Plan:
    from artfarm.rendering.masks import render_mask, save_mask  # no other stage draws masks

    book, spec = ctx.book, ctx.spec
    tier = book.style_pack.spec.tiers.inpaint
    checkpoint, vae = _tier_models(book, "final")
    image = _existing(image, "image")
    size = _image_size(image)
    mask = render_mask(
        fix,
        size,
        tier.feather,
        book.root,
        str(book.review_path(ctx.page)),
        f"refine.fixes[{fix_index}].mask",
    )
    mask_path = save_mask(mask, ctx.workdir / f"fix{fix_index:02d}-{source}.png")
    seed = stage_seed(spec.seed, "inpaint", f"{source}:{fix_index}")
    prompts = Prompts(_inpaint_positive(ctx, fix), ctx.prompts.negative)
    model_variant = "inpaint_encode" in ctx.slots and "composite" not in ctx.slots
    denoise = 1.0 if model_variant else fix.denoise
    values = _common(checkpoint, prompts, tier, seed, denoise=denoise)
    values["init_image"] = {"image": "image.png"}
    values["mask"] = {"image": "mask.png", "channel": "red"}
    if model_variant:
        values["inpaint_encode"] = {"grow_mask_by": tier.grow_mask_by}
        outputs = Outputs(1, size[0] // 8 * 8, size[1] // 8 * 8)
    else:
        values["grow_mask"] = {"expand": tier.grow_mask_by}
        # The VAE cuts a size that is not a multiple of 8; then the decoded image is stretched
        # back to the original's size, so the mask lines up with it (else ComfyUI would
        # squeeze the mask to the cut size and repaint beside it).
        cut = size[0] % 8 != 0 or size[1] % 8 != 0
        values["composite"] = {"x": 0, "y": 0, "resize_source": cut}
        outputs = Outputs(1, *size)
    return _Plan(
        values,
        checkpoint,
        vae,
        seed,
        f"{source}:{fix_index}",
        outputs,
        inputs={"init_image": image, "mask": mask_path},
    )


def _inpaint_positive(ctx: _Page, fix: InpaintFix) -> str:
    """The fix prompt plus the page's global constraint words (e.g. 'kid-friendly')."""
    known = ctx.book.style_pack.spec.constraints
    found = (constraint_words(c, known) for c in ctx.spec.constraints)
    words = [w.positive for w in found if w is not None and w.positive]
    return tidy(", ".join([fix.prompt, *words]))


def _plan_upscale(ctx: _Page, *, image: Path, source: str = "final") -> _Plan:
    book, spec = ctx.book, ctx.spec
    tier = book.style_pack.spec.tiers.upscale
    checkpoint, vae = _tier_models(book, "final")
    image = _existing(image, "image")
    width, height = _image_size(image)
    scale = book.config.sizes.print_scale
    target = (_multiple_of_8(width * scale), _multiple_of_8(height * scale))
    seed = stage_seed(spec.seed, "upscale", source)
    values = _common(checkpoint, ctx.prompts, tier, seed)
    values["init_image"] = {"image": "final.png"}
    values["scale"] = {"width": target[0], "height": target[1]}
    values["encode"] = {"tile_size": max(64, tier.tile_size // 64 * 64)}
    values["decode"] = {"tile_size": tier.tile_size}
    plan = _Plan(
        values,
        checkpoint,
        vae,
        seed,
        source,
        Outputs(1, *target),
        inputs={"init_image": image},
    )
    upscaler = book_pins(book).get("upscaler")
    if upscaler:
        values["upscale_model"] = {"model_name": upscaler.name}
        values["model_upscale"] = {}
        plan.extra_models.append(upscaler)
    else:
        plan.remove = [("model_upscale", "image")]
    return plan


_PLANNERS = {
    "draft": _plan_draft,
    "refine": _plan_refine,
    "inpaint": _plan_inpaint,
    "upscale": _plan_upscale,
    "thumb": _plan_thumb,
}


# ------------------------------------------------------------------------------- helpers


def _multiple_of_8(value: float) -> int:
    return max(8, round(value / 8) * 8)


def _existing(path: Path | str, what: str) -> Path:
    path = Path(path)
    if not path.is_file():
        raise ArtfarmError.single(
            str(path), what, "the input image does not exist", "render it first"
        )
    return path


def _image_size(path: Path) -> tuple[int, int]:
    return image_size(path)


def _pack_loras(book: Book) -> list[tuple[str, float, float]]:
    """The pack's LoRAs, each of which the book must pin (a pack cannot add a model silently)."""
    pinned = set(book.config.models.loras)
    pack = book.style_pack
    stray = [lora.name for lora in pack.spec.loras if lora.name not in pinned]
    if stray:
        raise ArtfarmError(
            Problem(
                str(book.config_path),
                "models.loras",
                f"style pack {pack.name!r} uses LoRA {name!r}, which the book does not pin",
                f"add {name!r} to models.loras",
            )
            for name in stray
        )
    return [(lora.name, lora.strength_model, lora.strength_clip) for lora in pack.spec.loras]


def _uses_controlnet(book: Book) -> bool:
    wanted = book.style_pack.spec.controlnet
    if wanted is None:
        return False
    if book.config.models.controlnet != wanted.model:
        raise ArtfarmError.single(
            str(book.config_path),
            "models.controlnet",
            f"style pack {book.style_pack.name!r} uses ControlNet {wanted.model!r}, "
            f"the book pins {book.config.models.controlnet!r}",
            f"set models.controlnet to {wanted.model!r}",
        )
    return True


def _insert_controlnet(book: Book, graph: Graph, sampler: str, control_image: str) -> None:
    """ControlNet from the scaled-up draft between the prompts and the refine sampler."""
    from artfarm.rendering.workflow import add_node

    cn = book.style_pack.spec.controlnet
    assert cn is not None
    inputs = graph[sampler]["inputs"]
    loader = add_node(graph, "ControlNetLoader", "ControlNet", control_net_name=cn.model)
    apply = add_node(
        graph,
        "ControlNetApplyAdvanced",
        "Apply ControlNet",
        positive=inputs["positive"],
        negative=inputs["negative"],
        control_net=[loader, 0],
        image=[control_image, 0],
        strength=float(cn.strength),
        start_percent=float(cn.start_percent),
        end_percent=float(cn.end_percent),
    )
    inputs["positive"], inputs["negative"] = [apply, 0], [apply, 1]


# ------------------------------------------------------------------------------- bible items

SHEET_PHASES = ("draft", "refine")
SHEET_SCENE = (
    "character sheet of {name}: one full-body front view, one full-body side view and "
    "{count} small head studies showing {faces}, evenly spaced, plain white background"
)
STYLE_SCENE = "{scene}, a finished picture-book illustration showing the book's look and palette"


def compile_item(
    book: Book,
    item: BibleItem,
    phase: str,
    *,
    store: ModelStore | None = None,
    workflows_dir: Path | None = None,
    image: Path | None = None,
    candidate: str = "",
) -> CompiledJob:
    """The job of one phase of a rendered bible item (the "sheet" stage): a character's sheet
    or a golden image.

    The bible entry is its spec (`item_spec`), prompted through the style pack like a page.
    Its size is its own: a sheet is the page sizes turned landscape, a golden image the page
    sizes as configured. `draft` renders the burst; `refine` one selected draft. It starts
    from words alone: no reference image reaches its graph.
    """
    if phase not in SHEET_PHASES:
        raise ArtfarmError.single(
            "stage", phase, "not a sheet phase", f"use one of: {', '.join(SHEET_PHASES)}"
        )
    spec = item_spec(book, item)
    field = "characters" if item.kind == SHEET else "style_refs"
    source = f"{book.characters_path} {field}[{item.id}]"
    prompts = compile_prompts(spec, book.style_pack, book.bible, book.templates_dir, source)
    store = store or ModelStore(load_settings().models_path)
    name = family_template(book, phase, TEMPLATES[phase], workflows_dir or WORKFLOWS_DIR)
    tmpl = load_template(name, workflows_dir)
    workdir = (book.root / item.folder).parent
    ctx = _Page(book, 0, spec, prompts, workdir, frozenset(tmpl.slots()))
    plan = _plan_sheet(ctx, phase, image, candidate, item_size(book, item, phase))
    family = tier_family(book, stage_tier(phase))
    _apply_family(ctx, plan, tmpl, phase, family, refs=[])  # an item starts from words alone
    _drop_absent_optional(plan, tmpl)
    loras = _pack_loras(book) if family.checkpoint else []
    models = [plan.checkpoint, *([plan.vae] if plan.vae else []), *plan.extra_models]
    models += [ModelRef("loras", name) for name, _, _ in loras]
    if plan.controlnet:
        models.append(ModelRef("controlnet", book.config.models.controlnet or ""))
    hashes = verified_hashes(book, store, models)
    graph = _build_graph(ctx, tmpl, plan, loras)
    job = _finish(ctx, "sheet", tmpl, plan, graph, hashes)
    folder = item.folder.removeprefix("bible/")
    prefix = f"artfarm/{book.id}/{folder}/{phase}/{job.request_hash[:16]}"
    job.graph[tmpl.slots()["save"]]["inputs"]["filename_prefix"] = prefix
    return dataclasses.replace(job, filename_prefix=prefix)


def item_entry(book: Book, item: BibleItem) -> CharacterEntry | StyleRefEntry:
    """The bible entry of an item the pipeline renders, or one line why not."""
    if item.kind == STYLE:
        return _style_entry(book, item.id)
    entry = book.bible.by_id().get(item.id)
    if entry is None or entry.render_sheet is None:
        problem = "is not in the bible" if entry is None else "has a hand-made sheet"
        raise ArtfarmError.single(
            str(book.characters_path),
            f"characters[{item.id}].render_sheet",
            f"character {item.id!r} {problem}: nothing to render",
            "add render_sheet to the character to have its sheet rendered",
        )
    return entry


def _style_entry(book: Book, style_id: str) -> StyleRefEntry:
    entry = book.bible.style_by_id().get(style_id)
    if entry is None or entry.render is None:
        problem = "is not in the bible's style_refs" if entry is None else "is hand-made"
        raise ArtfarmError.single(
            str(book.characters_path),
            f"style_refs[{style_id}].render",
            f"golden image {style_id!r} {problem}: nothing to render",
            "add it to style_refs with render: {seed: N} to have it rendered",
        )
    return entry


def item_spec(book: Book, item: BibleItem) -> RenderSpec:
    """The render job a bible item stands for, in the page spec's terms (prompts are shared)."""
    entry = item_entry(book, item)
    if isinstance(entry, StyleRefEntry):
        return style_ref_spec(book, entry)
    return sheet_spec(book, entry)


def style_ref_spec(book: Book, entry: StyleRefEntry) -> RenderSpec:
    """A golden image: its scene words in the style pack, with the characters it names."""
    job = entry.render
    assert job is not None  # item_entry checked it
    known = book.style_pack.spec.constraints
    return RenderSpec(
        book_id=book.id,
        page=1,
        intent="illustration",
        scene=STYLE_SCENE.format(scene=entry.scene),
        characters=[
            CharacterInScene(id=cid, pose="at home in the scene", emotion="calm")
            for cid in entry.characters
        ],
        camera=Camera(shot="wide", angle="eye level", lens="storybook"),
        environment=Environment(time="soft daylight", weather="clear", location="the book's world"),
        constraints=[c for c in ("no text",) if constraint_words(c, known) is not None],
        style_pack=book.config.style_pack,
        seed=job.seed,
        candidates=job.candidates,
        refine_variants=job.refine_variants,
    )


def sheet_spec(book: Book, entry: CharacterEntry) -> RenderSpec:
    """A character's sheet: front, side and expressions on a plain ground, no text."""
    job = entry.render_sheet
    assert job is not None  # item_entry checked it
    faces = ", ".join(job.expressions)
    known = book.style_pack.spec.constraints
    return RenderSpec(
        book_id=book.id,
        page=1,
        intent="illustration",
        scene=SHEET_SCENE.format(name=entry.name, count=len(job.expressions), faces=faces),
        characters=[
            CharacterInScene(id=entry.id, pose="standing, front view and side view", emotion=faces)
        ],
        camera=Camera(shot="wide", angle="eye level", lens="flat orthographic"),
        environment=Environment(time="even light", weather="clear", location="plain white"),
        constraints=[c for c in ("no text",) if constraint_words(c, known) is not None],
        style_pack=book.config.style_pack,
        seed=job.seed,
        candidates=job.candidates,
        refine_variants=job.refine_variants,
    )


def item_size(book: Book, item: BibleItem, phase: str) -> tuple[int, int]:
    """A sheet is landscape (the page's pixel budget on its side); a golden image keeps the
    configured page sizes."""
    sizes = book.config.sizes
    w, h = (
        (sizes.draft_width, sizes.draft_height)
        if phase == "draft"
        else (sizes.final_width, sizes.final_height)
    )
    return (max(w, h), min(w, h)) if item.kind == SHEET else (w, h)


def _plan_sheet(
    ctx: _Page, phase: str, image: Path | None, candidate: str, size: tuple[int, int]
) -> _Plan:
    book, spec = ctx.book, ctx.spec
    width, height = size
    if phase == "draft":
        checkpoint, vae = _tier_models(book, "draft")
        seed = stage_seed(spec.seed, "draft")
        values = _common(checkpoint, ctx.prompts, book.style_pack.spec.tiers.draft, seed)
        values["latent"] = {"width": width, "height": height, "batch_size": spec.candidates}
        outputs = Outputs(spec.candidates, width, height)
        return _Plan(values, checkpoint, vae, seed, "sheet", outputs, optional={"style_ref"})
    if image is None:
        raise ArtfarmError.single("stage", "sheet", "refine needs a selected draft", "select one")
    seed = stage_seed(spec.seed, "sheet-refine", candidate)
    return _refine_plan(ctx, image, candidate, (width, height), seed)
