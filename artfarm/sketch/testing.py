"""Start a sketch server for a test (or any short-lived code) and always stop it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from artfarm.sketch.server import Faults, SketchServer


@contextlib.contextmanager
def running_sketch_server(tmp_path: str | Path, **knobs: Any) -> Iterator[SketchServer]:
    """A started server rooted at `tmp_path/sketch` on a free port; knobs go to SketchServer.

    `models=[("checkpoints", "draft.safetensors"), ...]` creates empty model files first.
    """
    root = Path(tmp_path) / "sketch"
    models = knobs.pop("models", None)
    if models is not None and "models_dir" not in knobs:
        knobs["models_dir"] = root / "models"
        for folder, name in models:
            path = knobs["models_dir"] / folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"")
    if isinstance(knobs.get("faults"), dict):
        knobs["faults"] = Faults(**knobs["faults"])
    server = SketchServer(root, **knobs)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# ---------------------------------------------------------------- small graphs for tests


def _node(class_type: str, title: str | None = None, **inputs: Any) -> dict[str, Any]:
    node: dict[str, Any] = {"class_type": class_type, "inputs": inputs}
    if title:
        node["_meta"] = {"title": title}
    return node


def txt2img_graph(prompt: str, *, ckpt: str, seed: int = 1, width: int = 64, height: int = 64,
                  batch: int = 1, steps: int = 2, prefix: str = "t2i") -> dict[str, Any]:  # fmt: skip
    """checkpoint → two text encodes → empty latent → KSampler → VAEDecode → SaveImage."""
    return {
        "4": _node("CheckpointLoaderSimple", "checkpoint", ckpt_name=ckpt),
        "6": _node("CLIPTextEncode", "positive", text=prompt, clip=["4", 1]),
        "7": _node("CLIPTextEncode", "negative", text="blurry, text", clip=["4", 1]),
        "5": _node("EmptyLatentImage", "latent", width=width, height=height, batch_size=batch),
        "3": _node(
            "KSampler",
            "sampler",
            seed=seed,
            steps=steps,
            cfg=7.0,
            sampler_name="euler",
            scheduler="normal",
            denoise=1.0,
            model=["4", 0],
            positive=["6", 0],
            negative=["7", 0],
            latent_image=["5", 0],
        ),
        "8": _node("VAEDecode", "decode", samples=["3", 0], vae=["4", 2]),
        "9": _node("SaveImage", "save", images=["8", 0], filename_prefix=prefix),
    }


def img2img_graph(prompt: str, *, ckpt: str, image: str = "", denoise: float = 0.5, seed: int = 1,
                  steps: int = 2, prefix: str = "i2i") -> dict[str, Any]:  # fmt: skip
    """LoadImage titled `init_image` → VAEEncode → KSampler(denoise) → SaveImage."""
    graph = txt2img_graph(prompt, ckpt=ckpt, seed=seed, steps=steps, prefix=prefix)
    graph["10"] = _node("LoadImage", "init_image", image=image)
    graph["5"] = _node("VAEEncode", "encode", pixels=["10", 0], vae=["4", 2])
    graph["3"]["inputs"]["denoise"] = denoise
    return graph


def inpaint_graph(prompt: str, *, ckpt: str, image: str = "", mask: str = "", seed: int = 1,
                  steps: int = 2, prefix: str = "inpaint", grow: int | None = None,
                  expand: int | None = None, composite: bool = False) -> dict[str, Any]:  # fmt: skip
    """init_image + mask (LoadImageMask, red channel) → SetLatentNoiseMask or, with `grow`,
    VAEEncodeForInpaint → KSampler → SaveImage.

    `expand` grows the sampler's mask with GrowMask first; `composite` pastes the decoded image
    over the original through the (un-grown) mask with ImageCompositeMasked, as
    workflows/inpaint.json does.
    """
    graph = img2img_graph(prompt, ckpt=ckpt, image=image, denoise=1.0, seed=seed, steps=steps,
                          prefix=prefix)  # fmt: skip
    graph["11"] = _node("LoadImageMask", "mask", image=mask, channel="red")
    noise_mask = ["11", 0]
    if expand is not None:
        graph["13"] = _node("GrowMask", "grow_mask", mask=["11", 0], expand=expand,
                            tapered_corners=True)  # fmt: skip
        noise_mask = ["13", 0]
    if grow is None:
        graph["12"] = _node("SetLatentNoiseMask", "noise_mask", samples=["5", 0], mask=noise_mask)
    else:
        graph["12"] = _node("VAEEncodeForInpaint", "inpaint_encode", pixels=["10", 0], vae=["4", 2],
                            mask=noise_mask, grow_mask_by=grow)  # fmt: skip
    graph["3"]["inputs"]["latent_image"] = ["12", 0]
    if composite:
        graph["14"] = _node("ImageCompositeMasked", "composite", destination=["10", 0],
                            source=["8", 0], x=0, y=0, resize_source=False, mask=["11", 0])  # fmt: skip
        graph["9"]["inputs"]["images"] = ["14", 0]
    return graph


def empty_scale_graph(*, size: int = 32, scale_by: float = 2.0, color: int = 0x336699,
                      prefix: str = "a1") -> dict[str, Any]:  # fmt: skip
    """Model-free: EmptyImage → ImageScaleBy → SaveImage (runs on any ComfyUI)."""
    return {
        "1": _node("EmptyImage", "canvas", width=size, height=size, batch_size=1, color=color),
        "2": _node(
            "ImageScaleBy",
            "scale",
            image=["1", 0],
            upscale_method="nearest-exact",
            scale_by=scale_by,
        ),
        "3": _node("SaveImage", "save", images=["2", 0], filename_prefix=prefix),
    }


def load_scale_graph(
    *, image: str = "", scale_by: float = 2.0, prefix: str = "a2"
) -> dict[str, Any]:
    """Model-free: LoadImage titled `init_image` → ImageScaleBy → SaveImage."""
    return {
        "1": _node("LoadImage", "init_image", image=image),
        "2": _node(
            "ImageScaleBy", "scale", image=["1", 0], upscale_method="lanczos", scale_by=scale_by
        ),
        "3": _node("SaveImage", "save", images=["2", 0], filename_prefix=prefix),
    }
