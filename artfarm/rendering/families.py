"""Model families: which graphs a tier's model runs in and how its references reach them.

A book pins each tier's model with its `family` (book_config.yaml, sd15 by default):

    sd15, sdxl             CheckpointLoaderSimple; workflows/<stage>.json; pack LoRAs, ControlNet;
                           no reference image in the default graphs (the IP-Adapter variant
                           takes the style reference): their references reach only the prompt,
                           through the bible's words, and `artfarm validate` says so
    flux-kontext           UNETLoader + DualCLIPLoader + VAELoader; workflows/families/flux-kontext/;
                           2 reference slots (ImageStitch → FluxKontextImageScale → VAEEncode →
                           ReferenceLatent), FluxGuidance, cfg 1; optional Redux style model
    qwen-image-edit-plus   UNETLoader + CLIPLoader + VAELoader; workflows/families/qwen-…/;
                           3 reference slots (TextEncodeQwenImageEditPlus image1..3)

Every family's graphs keep the same slot titles (`positive`, `sampler`, `latent`, `save`, …),
so the compiler has one code path; the loaders differ (`checkpoint`, or `unet`/`clip`/`vae`)
and are filled from the pin here. Reference slots are `ref_1`…`ref_N` (LoadImage nodes);
`assign_references` decides which image goes into which, composing a board when a page has
more references than the family takes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from artfarm.documents.book import Book
from artfarm.documents.book_config import CheckpointPin
from artfarm.problems import ArtfarmError
from artfarm.rendering.references import Reference

# The stages whose graphs take the page's references (the others follow an input image).
REFERENCE_STAGES = ("draft", "refine", "thumb")


@dataclass(frozen=True)
class Family:
    name: str
    checkpoint: bool  # CheckpointLoaderSimple (LoRAs, ControlNet and an extra VAE apply)
    reference_slots: int  # reference images its draft/refine graphs take
    text_input: str = "text"  # the prompt input of its `positive`/`negative` nodes
    cfg: float | None = None  # sampler cfg the family needs (None: the style pack's tier)

    def template(self, name: str) -> str:
        """The template name of this family for a stage's default name (draft, variants/…)."""
        return name if self.checkpoint else f"families/{self.name}/{name}"


FAMILIES = {
    "sd15": Family("sd15", True, 0),
    "sdxl": Family("sdxl", True, 0),
    "flux-kontext": Family("flux-kontext", False, 2, cfg=1.0),
    "qwen-image-edit-plus": Family("qwen-image-edit-plus", False, 3, text_input="prompt"),
}


def stage_tier(stage: str) -> str:
    """Draft bursts (and thumbnails) run on the draft tier, everything else on the final one."""
    return "draft" if stage in ("draft", "thumb") else "final"


def tier_pin(book: Book, tier: str) -> CheckpointPin:
    return book.config.models.draft if tier == "draft" else book.config.models.final


def tier_family(book: Book, tier: str) -> Family:
    return FAMILIES[tier_pin(book, tier).family]


def family_template(book: Book, stage: str, name: str, directory: Path) -> str:
    """The family's template for `stage`, or one line saying the family has no graph for it."""
    tier = stage_tier(stage)
    family = tier_family(book, tier)
    chosen = family.template(name)
    if not (directory / f"{chosen}.json").is_file() and not family.checkpoint:
        raise ArtfarmError.single(
            str(book.config_path),
            f"models.{tier}.family",
            f"family {family.name} has no graph for stage {stage} ({chosen}.json)",
            "pin an sd15 or sdxl model for this tier, or add that graph to workflows/",
        )
    return chosen


def loader_values(pin: CheckpointPin, family: Family) -> dict[str, dict[str, Any]]:
    """Slot values of the tier's loaders (the `checkpoint` slot, or `unet`, `clip`, `vae`)."""
    if family.checkpoint:
        return {"checkpoint": {"ckpt_name": pin.checkpoint}}
    if len(pin.clip) == 2:
        clip = {"clip_name1": pin.clip[0], "clip_name2": pin.clip[1]}
    else:
        clip = {"clip_name": pin.clip[0]}
    return {
        "unet": {"unet_name": pin.unet},
        "clip": clip,
        "vae": {"vae_name": pin.vae},
    }


def prompt_values(values: dict[str, dict[str, Any]], family: Family) -> None:
    """The prompts under the family's input name (TextEncodeQwenImageEditPlus takes `prompt`)."""
    for title in ("positive", "negative"):
        if family.text_input != "text" and "text" in values.get(title, {}):
            values[title][family.text_input] = values[title].pop("text")


@dataclass(frozen=True)
class SlotAssignment:
    """Which references go into one reference slot (more than one: a board of them)."""

    slot: str
    references: tuple[Reference, ...]


def assign_references(refs: list[Reference], slots: int) -> list[SlotAssignment]:
    """One reference per slot in page order; when they do not fit, the last slot is a board
    of all the rest (characters first, then style, as `page_references` orders them)."""
    if slots <= 0 or not refs:
        return []
    if len(refs) <= slots:
        return [SlotAssignment(f"ref_{i}", (r,)) for i, r in enumerate(refs, start=1)]
    single = [SlotAssignment(f"ref_{i}", (r,)) for i, r in enumerate(refs[: slots - 1], start=1)]
    return [*single, SlotAssignment(f"ref_{slots}", tuple(refs[slots - 1 :]))]
