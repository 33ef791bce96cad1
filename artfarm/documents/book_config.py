"""A book's own settings (`books/<id>/book_config.yaml`): title, pinned style pack and models.

Pins exist so that a book never changes its look silently mid-way: the style pack by name,
and each model (draft tier, final tier, upscaler, LoRAs, ControlNet) by file name.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from artfarm.documents.renderspec import BOOK_ID_PATTERN, Strict
from artfarm.documents.stylepack import ConstraintWords

BOOK_CONFIG_FILE = "book_config.yaml"


def model_name(value: str) -> str:
    """A pin names a file inside one of the store's folders, never a path out of it."""
    parts = value.split("/")
    if value.startswith(("/", "~")) or "\\" in value:
        raise ValueError("a model pin is a file name in the store's folder, not a path")
    if any(part in ("", ".", "..") for part in parts):
        raise ValueError("a model pin must not contain '..', '.' or empty parts")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError("a model pin must not contain control characters")
    return value


ModelName = Annotated[
    str,
    Field(min_length=1, max_length=255),
    AfterValidator(model_name),
]


FAMILIES = ("sd15", "sdxl", "flux-kontext", "qwen-image-edit-plus")
Family = Literal["sd15", "sdxl", "flux-kontext", "qwen-image-edit-plus"]
CHECKPOINT_FAMILIES = ("sd15", "sdxl")
TEXT_ENCODERS = {"flux-kontext": 2, "qwen-image-edit-plus": 1}


class CheckpointPin(Strict):
    """One tier's model: a checkpoint (sd15, sdxl) or a diffusion model with its encoders."""

    family: Family = Field(
        default="sd15",
        description=(
            "The model's family; it picks the tier's graphs (workflows/families/<family>/) and "
            "how references reach them. sd15, sdxl: `checkpoint` (+ optional `vae`); the "
            "style pack's LoRAs and ControlNet apply; the default graphs take no reference "
            "image (the IP-Adapter variant takes the style reference). flux-kontext: `unet`, "
            "`clip` [clip_l, t5xxl], `vae`; two reference images through ReferenceLatent "
            "(more are put on one board); `style_model` + `clip_vision` add the style "
            "reference through StyleModelApply (Redux). qwen-image-edit-plus: `unet`, `clip` "
            "[qwen_2.5_vl], `vae`; three reference images through TextEncodeQwenImageEditPlus."
        ),
    )
    checkpoint: ModelName | None = Field(
        default=None, description="File in models/checkpoints (sd15, sdxl)."
    )
    unet: ModelName | None = Field(
        default=None,
        description="File in models/diffusion_models (flux-kontext, qwen-image-edit-plus).",
    )
    clip: list[ModelName] = Field(
        default_factory=list,
        max_length=2,
        description="Files in models/text_encoders: flux-kontext two (clip_l, t5xxl), qwen one.",
    )
    vae: ModelName | None = Field(
        default=None,
        description="File in models/vae: optional for sd15/sdxl, required for the others.",
    )
    style_model: ModelName | None = Field(
        default=None, description="File in models/style_models (Redux; flux-kontext only)."
    )
    clip_vision: ModelName | None = Field(
        default=None, description="File in models/clip_vision, required with style_model."
    )

    def files(self) -> list[tuple[str, str]]:
        """(store folder, file name) of every file this pin names."""
        named = [("checkpoints", self.checkpoint), ("diffusion_models", self.unet)]
        named += [("text_encoders", c) for c in self.clip]
        named += [("vae", self.vae), ("style_models", self.style_model)]
        named += [("clip_vision", self.clip_vision)]
        return [(folder, name) for folder, name in named if name]

    @model_validator(mode="after")
    def _files_fit_family(self) -> CheckpointPin:
        family = self.family
        if family in CHECKPOINT_FAMILIES:
            if not self.checkpoint or self.unet or self.clip:
                raise ValueError(f"family {family} pins `checkpoint` (and no unet or clip)")
            if self.style_model or self.clip_vision:
                raise ValueError(f"family {family} takes no style_model; use flux-kontext")
            return self
        wanted = TEXT_ENCODERS[family]
        if self.checkpoint or not self.unet or not self.vae or len(self.clip) != wanted:
            raise ValueError(
                f"family {family} pins `unet`, `vae` and {wanted} file(s) in `clip` (no checkpoint)"
            )
        if self.style_model and family != "flux-kontext":
            raise ValueError("style_model (Redux) works with family flux-kontext only")
        if bool(self.style_model) != bool(self.clip_vision):
            raise ValueError("style_model and clip_vision go together")
        return self


class ModelPins(Strict):
    draft: CheckpointPin = Field(description="Fast model for draft bursts (tier A).")
    final: CheckpointPin = Field(description="Quality model for refine, inpaint, upscale (tier B).")
    upscaler: ModelName | None = Field(
        default=None, description="File in models/upscale_models; none → resize + low denoise."
    )
    loras: list[ModelName] = Field(
        default_factory=list, description="LoRA files the style pack may use (all pinned here)."
    )
    controlnet: ModelName | None = Field(default=None, description="File in models/controlnet.")
    licences: dict[ModelName, Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=dict,
        description=(
            "Each pinned file's licence as you declare it (file name → licence, e.g. "
            "{'sdxl_base_1.0.safetensors': 'CreativeML Open RAIL++-M'}); the layout's "
            "copyright page lists them. Keys must be files pinned above."
        ),
    )

    def pinned_names(self) -> list[str]:
        """Every pinned file name, in the order the copyright page lists them."""
        names = [name for _, name in self.draft.files()]
        names += [name for _, name in self.final.files()]
        names += [self.upscaler, *self.loras, self.controlnet]
        return list(dict.fromkeys(n for n in names if n))

    @model_validator(mode="after")
    def _licences_name_pins(self) -> ModelPins:
        unknown = sorted(set(self.licences) - set(self.pinned_names()))
        if unknown:
            raise ValueError(
                f"licences names files not pinned here: {', '.join(unknown)}; "
                "use the pinned file names"
            )
        return self


class RenderSizes(Strict):
    draft_width: int = Field(default=768, ge=64, le=4096, multiple_of=8)
    draft_height: int = Field(default=1024, ge=64, le=4096, multiple_of=8)
    final_width: int = Field(default=1536, ge=64, le=8192, multiple_of=8)
    final_height: int = Field(default=2048, ge=64, le=8192, multiple_of=8)
    print_scale: float = Field(default=2.0, ge=1.0, le=4.0, description="Final → print factor.")


class BookConfig(Strict):
    book_id: str = Field(pattern=BOOK_ID_PATTERN, description="Equals the book folder's name.")
    title: str = Field(min_length=1, max_length=200)
    style_pack: str = Field(pattern=BOOK_ID_PATTERN, description="Pinned style pack name.")
    models: ModelPins
    sizes: RenderSizes = Field(default_factory=RenderSizes)
    constraints: dict[str, ConstraintWords] = Field(
        default_factory=dict,
        description=(
            "The book's own spec constraints → prompt words, added to the style pack's (a key "
            "here wins over the pack's). A key may hold {n}: '{n} characters only' matches "
            "'3 characters only' and 'three characters only'; in its words {n} becomes the "
            "count in words and {next} the ordinal after it ('a {next} character' → 'a fourth "
            "character'). Example: {'{n} ducks in a row': {positive: '{n} ducks in a row', "
            "negative: 'a {next} duck'}, 'no hats': {negative: 'hat, cap'}}."
        ),
    )
