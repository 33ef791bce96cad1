"""The recorded /object_info as a server would answer it with artfarm's model store mounted.

The recording's model combos list only the recording machine's files (`random_sd15_fp16`),
so tests put the store's files into the model combos (as ComfyUI lists its model folders)
and the graph's upload names into LoadImage/LoadImageMask (as after `POST /upload/image`).
Everything else — node names, links, types, ranges, sampler names — is checked as recorded.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from artfarm.rendering.modelstore import ModelStore

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "comfyui" / "object_info.json"

MODEL_INPUTS = {
    ("CheckpointLoaderSimple", "ckpt_name"): "checkpoints",
    ("LoraLoader", "lora_name"): "loras",
    ("VAELoader", "vae_name"): "vae",
    ("ControlNetLoader", "control_net_name"): "controlnet",
    ("UpscaleModelLoader", "model_name"): "upscale_models",
    ("CLIPVisionLoader", "clip_name"): "clip_vision",
}
UPLOAD_INPUTS = {("LoadImage", "image"), ("LoadImageMask", "image")}


def recorded() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text())


def _set_choices(schema: dict[str, Any], name: str, choices: list[str]) -> None:
    spec = schema["input"]["required"][name]
    if spec[0] == "COMBO":
        spec[1]["options"] = choices
    else:
        spec[0] = choices


def with_store(
    object_info: dict[str, Any], store: ModelStore, graph: dict[str, Any]
) -> dict[str, Any]:
    info = copy.deepcopy(object_info)
    files = store.files()
    for (class_type, name), folder in MODEL_INPUTS.items():
        if class_type in info:
            _set_choices(info[class_type], name, [r.name for r in files if r.folder == folder])
    uploads = sorted(
        {
            node["inputs"]["image"]
            for node in graph.values()
            if (node["class_type"], "image") in UPLOAD_INPUTS
        }
    )
    for class_type, name in UPLOAD_INPUTS:
        _set_choices(info[class_type], name, uploads)
    return info
