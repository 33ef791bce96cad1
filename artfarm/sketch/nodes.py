"""The core ComfyUI nodes, re-implemented with Pillow so graphs run without a GPU.

Stand-in values: IMAGE and MASK are lists of PIL images (RGB / L); LATENT is a dict holding
pixel-sized images (or just a size while empty) and an optional noise mask; models are dicts
naming their file. The sampler is where sketches are drawn; everything else moves pixels the
way the real node would, so sizes, batches, masks and file names behave like ComfyUI's.
"""

from __future__ import annotations

import json
import os
import random
import re
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image, ImageChops, ImageFilter, ImageOps, PngImagePlugin

from artfarm.sketch.drawing import draw_fix, draw_scene, item_rng, reference_colours
from artfarm.sketch.refine import refine
from artfarm.sketch.scene import read_scene

RESAMPLE = {
    "nearest-exact": Image.Resampling.NEAREST,
    "bilinear": Image.Resampling.BILINEAR,
    "area": Image.Resampling.BOX,
    "bicubic": Image.Resampling.BICUBIC,
    "lanczos": Image.Resampling.LANCZOS,
    "bislerp": Image.Resampling.BICUBIC,
}


class NodeFailure(Exception):
    """A node could not run (ComfyUI would raise too); becomes `execution_error`."""


@dataclass
class NodeContext:
    """What a node may touch: folders, the prompt (for PNG metadata) and the step callback."""

    input_dir: Path
    output_dir: Path
    temp_dir: Path
    models_dir: Path | None
    prompt: dict[str, Any]
    extra_pnginfo: dict[str, Any] | None
    step: Callable[[int, int], None]
    metadata: bool = True
    scratch: dict[str, Any] = field(default_factory=dict)


Node = Callable[..., dict[str, Any]]
NODES: dict[str, Node] = {}
STEPS: dict[str, Callable[[dict[str, Any]], int]] = {}


def node(name: str) -> Callable[[Node], Node]:
    def register(fn: Node) -> Node:
        NODES[name] = fn
        return fn

    return register


def out(*values: Any, ui: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"result": values, "ui": ui}


# ------------------------------------------------------------------ loaders


def _model_file(ctx: NodeContext, folder: str, name: str) -> str:
    if ctx.models_dir is not None and not (ctx.models_dir / folder / name).is_file():
        raise NodeFailure(f"model file {folder}/{name} is missing")
    return name


@node("CheckpointLoaderSimple")
def checkpoint_loader(ctx, ckpt_name):
    name = _model_file(ctx, "checkpoints", ckpt_name)
    return out({"model": name, "loras": ()}, {"clip": name}, {"vae": name})


@node("LoraLoader")
def lora_loader(ctx, model, clip, lora_name, strength_model, strength_clip):
    _model_file(ctx, "loras", lora_name)
    tagged = dict(model, loras=(*model.get("loras", ()), f"{lora_name}:{strength_model}"))
    return out(tagged, clip)


@node("VAELoader")
def vae_loader(ctx, vae_name):
    if vae_name != "pixel_space":
        _model_file(ctx, "vae", vae_name)
    return out({"vae": vae_name})


@node("UpscaleModelLoader")
def upscale_model_loader(ctx, model_name):
    _model_file(ctx, "upscale_models", model_name)
    match = re.search(r"(\d+)x|x(\d+)", model_name.lower())
    scale = int(next(g for g in match.groups() if g)) if match else 4
    return out({"upscale_model": model_name, "scale": max(1, min(scale, 8))})


@node("ControlNetLoader")
def controlnet_loader(ctx, control_net_name):
    return out({"control_net": _model_file(ctx, "controlnet", control_net_name)})


@node("CLIPVisionLoader")
def clip_vision_loader(ctx, clip_name):
    return out({"clip_vision": _model_file(ctx, "clip_vision", clip_name)})


# ------------------------------------------------------------------ conditioning


@node("CLIPTextEncode")
def clip_text_encode(ctx, text, clip):
    return out([{"text": text}])


@node("ConditioningCombine")
def conditioning_combine(ctx, conditioning_1, conditioning_2):
    return out(conditioning_1 + conditioning_2)


@node("ControlNetApplyAdvanced")
def controlnet_apply(ctx, positive, negative, control_net, image, strength, start_percent,
                     end_percent, vae=None):  # fmt: skip
    return out(positive, negative)


@node("CLIPVisionEncode")
def clip_vision_encode(ctx, clip_vision, image, crop):
    return out({"clip_vision_output": len(image), "images": list(image)})


@node("unCLIPConditioning")
def unclip_conditioning(ctx, conditioning, clip_vision_output, strength, noise_augmentation):
    return out(conditioning)


@node("InpaintModelConditioning")
def inpaint_model_conditioning(ctx, positive, negative, vae, pixels, mask, noise_mask=True):
    latent = _encode(pixels)
    if noise_mask:
        latent["noise_mask"] = mask
    return out(positive, negative, latent)


# ------------------------------------------------------------------ latents


def _encode(images: list[Image.Image]) -> dict[str, Any]:
    """Pixels → 'latent': sizes cut to multiples of 8, as the VAE does."""
    cut = []
    for img in images:
        w, h = (img.width // 8) * 8 or 8, (img.height // 8) * 8 or 8
        cut.append(img.convert("RGB").crop((0, 0, w, h)) if (w, h) != img.size else img)
    return {"images": cut, "size": cut[0].size, "noise_mask": None}


@node("EmptyLatentImage")
def empty_latent(ctx, width, height, batch_size):
    w, h = max(8, width // 8 * 8), max(8, height // 8 * 8)
    return out({"images": None, "size": (w, h), "batch": batch_size, "noise_mask": None})


def _batch(latent: dict[str, Any]) -> int:
    return len(latent["images"]) if latent.get("images") else int(latent.get("batch", 1))


@node("VAEEncode")
def vae_encode(ctx, pixels, vae):
    return out(_encode(pixels))


@node("VAEEncodeTiled")
def vae_encode_tiled(ctx, pixels, vae, tile_size, overlap, temporal_size=64, temporal_overlap=8):
    return out(_encode(pixels))


@node("VAEEncodeForInpaint")
def vae_encode_for_inpaint(ctx, pixels, vae, mask, grow_mask_by):
    latent = _encode(pixels)
    w, h = latent["size"]
    masks, grays = [], []
    for i, img in enumerate(latent["images"]):
        m = _mask_at(mask, i, (w, h)).point(lambda v: 255 if v >= 128 else 0)
        grays.append(Image.composite(Image.new("RGB", (w, h), (128, 128, 128)), img, m))
        if grow_mask_by > 0:
            m = m.filter(ImageFilter.MaxFilter(grow_mask_by * 2 + 1))
        masks.append(m)
    return out({"images": grays, "size": (w, h), "noise_mask": masks, "pixels": latent["images"]})


@node("SetLatentNoiseMask")
def set_latent_noise_mask(ctx, samples, mask):
    return out(dict(samples, noise_mask=mask))


@node("RepeatLatentBatch")
def repeat_latent_batch(ctx, samples, amount):
    if samples.get("images") is None:
        return out(dict(samples, batch=_batch(samples) * amount))
    return out(dict(samples, images=samples["images"] * amount))


@node("LatentFromBatch")
def latent_from_batch(ctx, samples, batch_index, length):
    n = _batch(samples)
    start = min(batch_index, n - 1)
    length = min(length, n - start)
    if samples.get("images") is None:
        return out(dict(samples, batch=length))
    return out(dict(samples, images=samples["images"][start : start + length]))


def _scale_latent(samples, w, h, method):
    w, h = max(8, w // 8 * 8), max(8, h // 8 * 8)
    if samples.get("images") is None:
        return dict(samples, size=(w, h))
    imgs = [
        img.resize((w, h), RESAMPLE.get(method, Image.Resampling.BILINEAR))
        for img in samples["images"]
    ]
    return dict(samples, images=imgs, size=(w, h))


@node("LatentUpscaleBy")
def latent_upscale_by(ctx, samples, upscale_method, scale_by):
    w, h = samples["size"]
    return out(_scale_latent(samples, round(w * scale_by), round(h * scale_by), upscale_method))


@node("LatentUpscale")
def latent_upscale(ctx, samples, upscale_method, width, height, crop):
    w0, h0 = samples["size"]
    width = width or round(w0 * height / h0)
    height = height or round(h0 * width / w0)
    return out(_scale_latent(samples, width, height, upscale_method))


# ------------------------------------------------------------------ sampling (the drawing)


def _positive_text(positive: list[dict[str, Any]]) -> str:
    return " ".join(c.get("text", "") for c in positive)


def sample(
    ctx, model, seed, steps, positive, latent_image, denoise, *, sampler=""
) -> list[Image.Image]:
    """One image per batch item.

    From an empty latent (or at denoise 1 without a mask) a new storyboard sketch is drawn.
    From an encoded image (img2img) the picture is refined, not redrawn: `refine` keeps every
    figure where it is and changes details by denoise and seed. With
    a noise mask (inpaint) the refined original plus a redraw of what the prompt names fill the
    mask, and every pixel outside it stays as it was.
    """
    text = _positive_text(positive)
    scene = read_scene(text)
    colours = reference_colours(_references(positive), len(scene.characters))
    styles = reference_colours([i for c in positive for i in c.get("style", ())], 1)
    n = _batch(latent_image)
    w, h = latent_image["size"]
    for step in range(1, steps + 1):
        ctx.step(step, steps)
    source = latent_image.get("images")
    mask = latent_image.get("noise_mask")
    originals = latent_image.get("pixels") or source
    results = []
    for i in range(n):
        item_seed = int(item_rng(seed, i, sampler).getrandbits(63))
        if source is None or (denoise >= 1.0 and mask is None):
            results.append(
                draw_scene(scene, item_seed, w, h, colours, styles[0] if styles else None)
            )
            continue
        src = source[i % len(source)].convert("RGB")
        if mask is None:
            results.append(refine(src, item_seed, denoise))
            continue
        m = _mask_at(mask, i, (w, h))
        original = originals[i % len(originals)].convert("RGB")
        if original.size != (w, h):
            original = original.resize((w, h), Image.Resampling.BILINEAR)
        redrawn = refine(original, item_seed, denoise)
        box = m.point(lambda v: 255 if v >= 128 else 0).getbbox() or m.getbbox()
        if box is not None:
            draw_fix(redrawn, scene, item_seed, box)
        results.append(Image.composite(redrawn, src, m))
    return results


STEPS["KSampler"] = lambda inputs: int(inputs["steps"])
STEPS["KSamplerAdvanced"] = lambda inputs: max(
    1, min(int(inputs["end_at_step"]), int(inputs["steps"])) - int(inputs["start_at_step"])
)


@node("KSampler")
def ksampler(ctx, model, seed, steps, cfg, sampler_name, scheduler, positive, negative,
             latent_image, denoise=1.0):  # fmt: skip
    imgs = sample(ctx, model, seed, steps, positive, latent_image, denoise, sampler=sampler_name)
    return out(dict(latent_image, images=imgs, noise_mask=None, pixels=None))


@node("KSamplerAdvanced")
def ksampler_advanced(ctx, model, add_noise, noise_seed, steps, cfg, sampler_name, scheduler,
                      positive, negative, latent_image, start_at_step, end_at_step,
                      return_with_leftover_noise):  # fmt: skip
    end = min(end_at_step, steps)
    denoise = max(0.0, (end - start_at_step) / steps) if steps else 0.0
    ran = max(1, end - start_at_step)
    imgs = sample(
        ctx, model, noise_seed, ran, positive, latent_image, denoise, sampler=sampler_name
    )
    return out(dict(latent_image, images=imgs, noise_mask=None, pixels=None))


# ------------------------------------------------------------------ decoding


@node("VAEDecode")
def vae_decode(ctx, samples, vae):
    if samples.get("images") is None:
        w, h = samples["size"]
        return out([Image.new("RGB", (w, h), (128, 128, 128)) for _ in range(_batch(samples))])
    return out([img.copy() for img in samples["images"]])


@node("VAEDecodeTiled")
def vae_decode_tiled(ctx, samples, vae, tile_size, overlap, temporal_size=64, temporal_overlap=8):
    return vae_decode(ctx, samples, vae)


# ------------------------------------------------------------------ images and masks


def input_path(ctx: NodeContext, name: str) -> Path:
    """An `image` input (possibly `sub/name.png [input]`) as a path inside the input folder."""
    folder = ctx.input_dir
    for tag, where in (
        (" [input]", ctx.input_dir),
        (" [output]", ctx.output_dir),
        (" [temp]", ctx.temp_dir),
    ):
        if name.endswith(tag):
            name, folder = name[: -len(tag)], where
    path = (folder / name).resolve()
    if folder.resolve() not in path.parents:
        raise NodeFailure(f"Invalid image file: {name}")
    return path


def image_exists(ctx: NodeContext, name: Any) -> bool | str:
    """ComfyUI's LoadImage.VALIDATE_INPUTS."""
    try:
        ok = isinstance(name, str) and input_path(ctx, name).is_file()
    except NodeFailure:
        ok = False
    return True if ok else f"Invalid image file: {name}"


def _open(ctx: NodeContext, name: str) -> Image.Image:
    try:
        img = Image.open(input_path(ctx, name))
        img.load()
        return ImageOps.exif_transpose(img)
    except (OSError, ValueError) as exc:
        raise NodeFailure(f"cannot read image {name}: {exc}") from exc


@node("LoadImage")
def load_image(ctx, image):
    img = _open(ctx, image)
    rgb = img.convert("RGB")
    if "A" in img.getbands():
        mask = ImageOps.invert(img.getchannel("A"))
    else:
        mask = Image.new("L", (64, 64), 0)
    return out([rgb], [mask])


@node("LoadImageMask")
def load_image_mask(ctx, image, channel):
    img = _open(ctx, image)
    band = {"alpha": "A", "red": "R", "green": "G", "blue": "B"}[channel]
    if img.mode == "L" and band != "A":
        return out([img.copy()])
    img = img.convert("RGBA") if band in img.convert("RGBA").getbands() else img
    if band not in img.getbands():
        return out([Image.new("L", (64, 64), 0)])
    mask = img.getchannel(band)
    return out([ImageOps.invert(mask) if band == "A" else mask])


@node("ImageToMask")
def image_to_mask(ctx, image, channel):
    band = {"red": 0, "green": 1, "blue": 2, "alpha": 3}[channel]
    masks = []
    for img in image:
        rgba = img.convert("RGBA")
        masks.append(rgba.split()[band])
    return out(masks)


def _mask_at(masks: list[Image.Image], i: int, size: tuple[int, int]) -> Image.Image:
    m = masks[i % len(masks)].convert("L")
    return m if m.size == size else m.resize(size, Image.Resampling.BILINEAR)


def _shifted(img: Image.Image, dx: int, dy: int, fill: int) -> Image.Image:
    """`img` moved by (dx, dy), uncovered pixels set to `fill` (no wrap-around)."""
    moved = Image.new("L", img.size, fill)
    moved.paste(img, (dx, dy))
    return moved


def _morph(mask: Image.Image, steps: int, tapered: bool) -> Image.Image:
    """GrowMask's kernel applied |steps| times: dilation (>0) or erosion (<0).

    ComfyUI runs scipy's grey_dilation/erosion with a 3×3 footprint, a cross with tapered
    corners (the mask grows as a diamond) and a full square without. Pixels beyond the edge
    never win (scipy reflects the border).
    """
    grow = steps > 0
    pick, fill = (ImageChops.lighter, 0) if grow else (ImageChops.darker, 255)
    offsets = [(1, 0), (-1, 0), (0, 1), (0, -1)]
    for _ in range(abs(steps)):
        if tapered:
            result = mask
            for dx, dy in offsets:
                result = pick(result, _shifted(mask, dx, dy, fill))
            mask = result
        else:
            mask = mask.filter(ImageFilter.MaxFilter(3) if grow else ImageFilter.MinFilter(3))
    return mask


@node("GrowMask")
def grow_mask(ctx, mask, expand, tapered_corners=True):
    return out([_morph(m.convert("L"), int(expand), bool(tapered_corners)) for m in mask])


@node("ImageCompositeMasked")
def image_composite_masked(ctx, destination, source, x, y, resize_source, mask=None):
    """`source` pasted onto each `destination` image at (x, y) through `mask`, as ComfyUI does.

    The mask is scaled (bilinear) to the source's size; where it is 0 the destination's pixel
    is kept unchanged. The output has the destination's size and batch.
    """
    result = []
    for i, dest in enumerate(destination):
        dest = dest.convert("RGB")
        src = source[i % len(source)].convert("RGB")
        if resize_source:
            src = src.resize(dest.size, Image.Resampling.BILINEAR)
        left = max(-src.width, min(int(x), dest.width))
        top = max(-src.height, min(int(y), dest.height))
        m = Image.new("L", src.size, 255) if mask is None else _mask_at(mask, i, src.size)
        # the part of the source that lands on the destination
        box = (max(0, -left), max(0, -top),
               min(src.width, dest.width - left), min(src.height, dest.height - top))  # fmt: skip
        merged = dest.copy()
        if box[2] > box[0] and box[3] > box[1]:
            at = (left + box[0], top + box[1])
            under = dest.crop((*at, at[0] + box[2] - box[0], at[1] + box[3] - box[1]))
            merged.paste(Image.composite(src.crop(box), under, m.crop(box)), at)
        result.append(merged)
    return out(result)


def _scale(img: Image.Image, w: int, h: int, method: str, crop: str = "disabled") -> Image.Image:
    if crop == "center":
        ow, oh = img.size
        old_aspect, new_aspect = ow / oh, w / h
        if old_aspect > new_aspect:
            cut = round(ow - ow * new_aspect / old_aspect) // 2
            img = img.crop((cut, 0, ow - cut, oh))
        elif old_aspect < new_aspect:
            cut = round(oh - oh * old_aspect / new_aspect) // 2
            img = img.crop((0, cut, ow, oh - cut))
    return img.resize((max(1, w), max(1, h)), RESAMPLE.get(method, Image.Resampling.BILINEAR))


@node("ImageScale")
def image_scale(ctx, image, upscale_method, width, height, crop):
    result = []
    for img in image:
        w = width or round(img.width * height / img.height)
        h = height or round(img.height * width / img.width)
        if not width and not height:
            w, h = img.size
        result.append(_scale(img, w, h, upscale_method, crop))
    return out(result)


@node("ImageScaleBy")
def image_scale_by(ctx, image, upscale_method, scale_by):
    return out(
        [
            _scale(img, round(img.width * scale_by), round(img.height * scale_by), upscale_method)
            for img in image
        ]
    )


@node("ImageUpscaleWithModel")
def image_upscale_with_model(ctx, upscale_model, image):
    s = upscale_model["scale"]
    return out(
        [img.resize((img.width * s, img.height * s), Image.Resampling.LANCZOS) for img in image]
    )


@node("EmptyImage")
def empty_image(ctx, width, height, batch_size, color):
    rgb = ((color >> 16) & 0xFF, (color >> 8) & 0xFF, color & 0xFF)
    return out([Image.new("RGB", (width, height), rgb) for _ in range(batch_size)])


@node("ImageBatch")
def image_batch(ctx, image1, image2):
    size = image1[0].size
    return out(image1 + [img if img.size == size else img.resize(size) for img in image2])


@node("ImageInvert")
def image_invert(ctx, image):
    return out([ImageChops.invert(img) for img in image])


@node("ImageBlur")
def image_blur(ctx, image, blur_radius, sigma):
    return out([img.filter(ImageFilter.GaussianBlur(sigma * blur_radius / 2)) for img in image])


@node("ImageSharpen")
def image_sharpen(ctx, image, sharpen_radius, sigma, alpha):
    return out(
        [img.filter(ImageFilter.UnsharpMask(sharpen_radius, int(alpha * 100))) for img in image]
    )


# ------------------------------------------------------------------ saving, like ComfyUI


def save_path(prefix: str, output_dir: Path, width: int, height: int) -> tuple[Path, str, int, str]:
    """ComfyUI's get_save_image_path: (folder, file stem, next counter, subfolder)."""
    prefix = prefix.replace("%width%", str(width)).replace("%height%", str(height))
    norm = os.path.normpath(prefix)
    subfolder, stem = os.path.dirname(norm), os.path.basename(norm)
    folder = output_dir / subfolder
    root = str(output_dir.resolve())
    if os.path.commonpath((root, os.path.abspath(folder))) != root:
        raise NodeFailure(
            "**** ERROR: Saving image outside the output folder is not allowed."
            f"\n full_output_folder: {os.path.abspath(folder)}\n         output_dir: {root}"
        )
    counter = 1
    if folder.is_dir():
        pattern = re.compile(re.escape(stem) + r"_(\d+)_")
        found = [int(m.group(1)) for f in os.listdir(folder) if (m := pattern.match(f))]
        counter = max(found, default=0) + 1
    folder.mkdir(parents=True, exist_ok=True)
    return folder, stem, counter, subfolder


def _pnginfo(ctx: NodeContext) -> PngImagePlugin.PngInfo | None:
    if not ctx.metadata:
        return None
    info = PngImagePlugin.PngInfo()
    info.add_text("prompt", json.dumps(ctx.prompt))
    for key, value in (ctx.extra_pnginfo or {}).items():
        info.add_text(key, json.dumps(value))
    return info


def save_images(ctx, images, prefix, folder_root: Path, kind: str, compress: int) -> dict:
    first = images[0]
    folder, stem, counter, subfolder = save_path(prefix, folder_root, first.width, first.height)
    results = []
    for batch_number, img in enumerate(images):
        name = f"{stem.replace('%batch_num%', str(batch_number))}_{counter:05}_.png"
        level = 1 if img.width * img.height >= 4_000_000 else compress
        img.save(folder / name, pnginfo=_pnginfo(ctx), compress_level=level)
        results.append({"filename": name, "subfolder": subfolder, "type": kind})
        counter += 1
    return out(ui={"images": results})


@node("SaveImage")
def save_image(ctx, images, filename_prefix="ComfyUI"):
    return save_images(ctx, images, filename_prefix, ctx.output_dir, "output", 4)


@node("PreviewImage")
def preview_image(ctx, images):
    suffix = "".join(random.choice(string.ascii_lowercase) for _ in range(5))
    return save_images(ctx, images, f"ComfyUI_temp_{suffix}", ctx.temp_dir, "temp", 1)


# ------------------------------------------------------------------ model families' nodes
# The loaders and reference nodes of the diffusion-model families (flux-kontext,
# qwen-image-edit-plus, Redux). A reference image travels in the conditioning
# (`references`); the sampler draws each character in the dominant colours of its sheet.


def _references(conditioning: list[dict[str, Any]]) -> list[Image.Image]:
    return [img for c in conditioning for img in c.get("references", ())]


@node("UNETLoader")
def unet_loader(ctx, unet_name, weight_dtype):
    return out({"model": _model_file(ctx, "diffusion_models", unet_name), "loras": ()})


@node("CLIPLoader")
def clip_loader(ctx, clip_name, type, device="default"):
    return out({"clip": _model_file(ctx, "text_encoders", clip_name)})


@node("DualCLIPLoader")
def dual_clip_loader(ctx, clip_name1, clip_name2, type, device="default"):
    names = [_model_file(ctx, "text_encoders", n) for n in (clip_name1, clip_name2)]
    return out({"clip": "+".join(names)})


@node("StyleModelLoader")
def style_model_loader(ctx, style_model_name):
    return out({"style_model": _model_file(ctx, "style_models", style_model_name)})


@node("ReferenceLatent")
def reference_latent(ctx, conditioning, latent=None):
    images = list((latent or {}).get("images") or [])
    return out([dict(c, references=(*c.get("references", ()), *images)) for c in conditioning])


@node("TextEncodeQwenImageEditPlus")
def text_encode_qwen_image_edit_plus(ctx, clip, prompt, vae=None, image1=None, image2=None,
                                     image3=None):  # fmt: skip
    images = [img for batch in (image1, image2, image3) if batch for img in batch[:1]]
    return out([{"text": prompt, "references": tuple(images)}])


@node("FluxKontextImageScale")
def flux_kontext_image_scale(ctx, image):
    """ComfyUI picks Kontext's nearest preferred size; sizes do not matter to a sketch."""
    return out([img.copy() for img in image])


_STITCH_COLOURS = {"white": (255, 255, 255), "black": (0, 0, 0), "red": (255, 0, 0),
                   "green": (0, 255, 0), "blue": (0, 0, 255)}  # fmt: skip


@node("ImageStitch")
def image_stitch(ctx, image1, direction, match_image_size, spacing_width, spacing_color,
                 image2=None):  # fmt: skip
    """image2 beside image1 (right, down, left, up), scaled to match, with a spacing strip."""
    if not image2:
        return out([img.copy() for img in image1])
    result = []
    for i, first in enumerate(image1):
        second = image2[i % len(image2)]
        across = direction in ("right", "left")
        if match_image_size:
            if across:
                second = second.resize((max(1, round(second.width * first.height / second.height)),
                                        first.height))  # fmt: skip
            else:
                second = second.resize((first.width,
                                        max(1, round(second.height * first.width / second.width))))  # fmt: skip
        a, b = (second, first) if direction in ("left", "up") else (first, second)
        gap = int(spacing_width)
        if across:
            size = (a.width + gap + b.width, max(a.height, b.height))
            at = (a.width + gap, 0)
        else:
            size = (max(a.width, b.width), a.height + gap + b.height)
            at = (0, a.height + gap)
        canvas = Image.new("RGB", size, _STITCH_COLOURS.get(spacing_color, (255, 255, 255)))
        canvas.paste(a.convert("RGB"), (0, 0))
        canvas.paste(b.convert("RGB"), at)
        result.append(canvas)
    return out(result)


@node("ModelSamplingAuraFlow")
def model_sampling_aura_flow(ctx, model, shift):
    return out(model)


@node("CFGNorm")
def cfg_norm(ctx, model, strength):
    return out(model)


@node("FluxGuidance")
def flux_guidance(ctx, conditioning, guidance):
    return out(conditioning)


@node("ConditioningZeroOut")
def conditioning_zero_out(ctx, conditioning):
    return out([{"text": ""} for _ in conditioning])


@node("StyleModelApply")
def style_model_apply(ctx, conditioning, style_model, clip_vision_output, strength,
                      strength_type):  # fmt: skip
    images = list(clip_vision_output.get("images", ()))
    return out([dict(c, style=(*c.get("style", ()), *images)) for c in conditioning])
