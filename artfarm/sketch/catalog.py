"""What the sketch server offers: its node schemas (recorded from ComfyUI 0.3.64) with combo
lists filled from its own models and input folders, as ComfyUI fills them."""

from __future__ import annotations

import copy
import functools
import json
from importlib import resources
from pathlib import Path
from typing import Any

MODEL_EXTENSIONS = {".safetensors", ".ckpt", ".pt", ".pth", ".bin", ".sft", ".pt2", ".pkl"}
IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".tif", ".tiff"}
# GET /models as recorded; the first six are the folders artfarm's models layout uses.
MODEL_FOLDERS = [
    "checkpoints", "configs", "loras", "vae", "text_encoders", "diffusion_models", "clip_vision",
    "style_models", "embeddings", "diffusers", "vae_approx", "controlnet", "gligen",
    "upscale_models", "custom_nodes", "hypernetworks", "photomaker", "classifiers",
    "model_patches", "audio_encoders",
]  # fmt: skip
# (node, input) → models folder whose files are the combo's choices
MODEL_COMBOS = {
    ("CheckpointLoaderSimple", "ckpt_name"): "checkpoints",
    ("LoraLoader", "lora_name"): "loras",
    ("VAELoader", "vae_name"): "vae",
    ("UpscaleModelLoader", "model_name"): "upscale_models",
    ("ControlNetLoader", "control_net_name"): "controlnet",
    ("CLIPVisionLoader", "clip_name"): "clip_vision",
    ("UNETLoader", "unet_name"): "diffusion_models",
    ("CLIPLoader", "clip_name"): "text_encoders",
    ("DualCLIPLoader", "clip_name1"): "text_encoders",
    ("DualCLIPLoader", "clip_name2"): "text_encoders",
    ("StyleModelLoader", "style_model_name"): "style_models",
}
INPUT_COMBOS = {("LoadImage", "image"), ("LoadImageMask", "image")}


@functools.cache
def recorded_schemas() -> dict[str, Any]:
    text = resources.files("artfarm.sketch").joinpath("node_schemas.json").read_text()
    return json.loads(text)


def model_files(models_dir: Path | None, folder: str) -> list[str]:
    """Relative file names with a model extension under <models>/<folder>, sorted."""
    if models_dir is None or not (models_dir / folder).is_dir():
        return []
    base = models_dir / folder
    return sorted(
        p.relative_to(base).as_posix()
        for p in base.rglob("*")
        if p.is_file() and p.suffix.lower() in MODEL_EXTENSIONS
    )


def input_files(input_dir: Path) -> list[str]:
    if not input_dir.is_dir():
        return []
    return sorted(
        p.name for p in input_dir.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS
    )


def _set_choices(spec: list[Any], choices: list[str]) -> list[Any]:
    spec = list(spec)
    if spec and spec[0] == "COMBO":
        spec[1] = dict(spec[1], options=choices)
    else:
        spec[0] = choices
    return spec


def object_info(models_dir: Path | None, input_dir: Path | None) -> dict[str, Any]:
    """The schemas with current combo choices; `input_dir=None` skips listing the input folder."""
    info = copy.deepcopy(recorded_schemas())
    for (node, name), folder in MODEL_COMBOS.items():
        required = info[node]["input"]["required"]
        extra = ["pixel_space"] if node == "VAELoader" else []
        required[name] = _set_choices(required[name], model_files(models_dir, folder) + extra)
    if input_dir is not None:
        files = input_files(input_dir)
        for node, name in INPUT_COMBOS:
            required = info[node]["input"]["required"]
            required[name] = _set_choices(required[name], files)
    return info
