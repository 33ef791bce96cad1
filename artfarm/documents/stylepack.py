"""Style packs: a folder (`style_packs/<name>/`) that keeps a book's look deliberate.

`stylepack.yaml` names the prompt templates (Jinja2), LoRAs with strengths, palettes,
sampler defaults per tier, and the words each spec constraint turns into. A book pins one
pack by name; every file of the pack enters the content hash of the pages that use it.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from artfarm.documents.reader import load_yaml_model
from artfarm.documents.renderspec import Strict

STYLEPACK_FILE = "stylepack.yaml"
THUMB_MIN_STEPS = 4  # fewer and a thumbnail is mostly noise on a real diffusion model


class Lora(Strict):
    name: str = Field(
        min_length=1, description="LoRA file name in models/loras (pinned by the book)."
    )
    strength_model: float = Field(default=1.0, ge=-4.0, le=4.0)
    strength_clip: float = Field(default=1.0, ge=-4.0, le=4.0)


class ControlNet(Strict):
    model: str = Field(min_length=1, description="ControlNet file name in models/controlnet.")
    strength: float = Field(default=0.6, ge=0.0, le=2.0)
    start_percent: float = Field(default=0.0, ge=0.0, le=1.0)
    end_percent: float = Field(default=0.8, ge=0.0, le=1.0)


class Tier(Strict):
    """Sampler settings of one stage; names are ComfyUI's KSampler choices."""

    sampler: str = Field(default="euler", description="KSampler sampler_name.")
    scheduler: str = Field(default="normal", description="KSampler scheduler.")
    steps: int = Field(ge=1, le=200)
    cfg: float = Field(ge=0.0, le=30.0)
    denoise: float = Field(default=1.0, ge=0.0, le=1.0)


class InpaintTier(Tier):
    grow_mask_by: int = Field(default=16, ge=0, le=64, description="Pixels the mask grows by.")
    feather: int = Field(default=8, ge=0, le=64, description="Soft edge of drawn masks, pixels.")


class UpscaleTier(Tier):
    tile_size: int = Field(default=512, ge=64, le=4096, multiple_of=32)


class Tiers(Strict):
    draft: Tier
    refine: Tier
    inpaint: InpaintTier
    upscale: UpscaleTier
    thumb: Tier | None = Field(
        default=None,
        description=(
            "Storyboard thumbnails (one candidate, small, on the draft model). Absent: the "
            f"draft tier with half its steps, at least {THUMB_MIN_STEPS} and at most the draft's."
        ),
    )

    def thumb_tier(self) -> Tier:
        """The storyboard's sampler settings: its own tier, else a cheaper draft tier."""
        if self.thumb is not None:
            return self.thumb
        steps = min(self.draft.steps, max(THUMB_MIN_STEPS, self.draft.steps // 2))
        return self.draft.model_copy(update={"steps": steps})


class ConstraintWords(Strict):
    positive: str = Field(default="", description="Words added to the positive prompt.")
    negative: str = Field(default="", description="Words added to the negative prompt.")


class StylePackSpec(Strict):
    name: str = Field(pattern=r"^[a-z0-9_]+$", description="Equals the folder name.")
    description: str = Field(default="")
    positive_template: str = Field(default="positive.j2", description="Jinja2 file in the pack.")
    negative_template: str = Field(default="negative.j2", description="Jinja2 file in the pack.")
    palettes: list[str] = Field(default_factory=list, description="Palette images in the pack.")
    loras: list[Lora] = Field(default_factory=list)
    controlnet: ControlNet | None = Field(default=None, description="Optional refine ControlNet.")
    tiers: Tiers
    constraints: dict[str, ConstraintWords] = Field(
        default_factory=dict,
        description=(
            "Spec constraint (e.g. 'no text') → prompt words. Unknown constraints are errors. "
            "A key may hold {n} ('{n} characters only' matches '3 characters only' and 'three "
            "characters only'); in its words {n} becomes the count in words and {next} the "
            "ordinal after it. A book adds its own in book_config.yaml → constraints."
        ),
    )


class StylePack:
    """A loaded pack: its spec plus the folder its files live in."""

    def __init__(self, directory: Path, spec: StylePackSpec):
        self.directory = directory
        self.spec = spec

    @property
    def name(self) -> str:
        return self.spec.name

    def files(self) -> list[Path]:
        """Every file of the pack, sorted, hidden files excluded: what the content hash covers."""
        return sorted(
            p
            for p in self.directory.rglob("*")
            if p.is_file() and not any(part.startswith(".") for part in p.parts[-3:])
        )


def load_style_pack(directory: Path) -> StylePack:
    spec = load_yaml_model(StylePackSpec, directory / STYLEPACK_FILE, "stylepack", root=directory)
    return StylePack(directory, spec)
