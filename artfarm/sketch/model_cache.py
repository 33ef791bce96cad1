"""The sketch server's node cache and model loads, with ComfyUI's cache rules.

On ComfyUI a model load is a loader node that runs because its result is not cached; what is
cached depends on the launch flag (measured on 0.3.64, /work notes "comfyui-cache"):

    classic (default)   only the last prompt's node results survive: a graph whose loader
                        differs from the previous prompt's drops the old model, so a queue that
                        alternates models reloads one at every switch
    --cache-lru N       up to N node results survive across prompts (N counts results, not
                        models); the oldest prompts' results go first, the running prompt's never

`NodeCache` keeps results by input signature under either rule; `LoadLog` counts the loads
(a loader node that executed), so benchmarks can count what a book build would pay.
The ComfyUI client never reads any of this: it is the sketch server's own bookkeeping.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable
from typing import Any

# Loader nodes that read a model file from disk, and the input naming the file.
FILE_LOADERS = {
    "CheckpointLoaderSimple": "ckpt_name",
    "UpscaleModelLoader": "model_name",
    "UNETLoader": "unet_name",
    "CLIPLoader": "clip_name",
    "DualCLIPLoader": "clip_name1",
    "VAELoader": "vae_name",
    "ControlNetLoader": "control_net_name",
    "CLIPVisionLoader": "clip_name",
    "unCLIPCheckpointLoader": "ckpt_name",
    "ImageOnlyCheckpointLoader": "ckpt_name",
}


def loaded_model(class_type: str, inputs: dict[str, Any]) -> str | None:
    """The model file a node loads when it executes, or None for any other node."""
    name = FILE_LOADERS.get(class_type)
    if name is None:
        return None
    return f"{class_type}:{inputs.get(name)}"


class NodeCache:
    """Node results by signature, kept by ComfyUI's classic rule (`lru=0`) or its LRU rule."""

    def __init__(self, lru: int = 0) -> None:
        if lru < 0:
            raise ValueError("lru must be 0 (classic) or a positive number of node results")
        self.lru = lru
        self.entries: dict[str, dict[str, Any]] = {}
        self.used: dict[str, int] = {}  # key → the prompt generation that last used it
        self.generation = 0
        self.min_generation = 0

    @property
    def rule(self) -> str:
        return f"lru {self.lru}" if self.lru else "classic"

    def begin(self, keys: Iterable[str]) -> None:
        """A prompt starts: protect its keys, then drop what the rule says (as ComfyUI does
        before executing: set_prompt, then clean_unused)."""
        current = set(keys)
        self.generation += 1
        for key in current:
            self.used[key] = self.generation
        if not self.lru:
            self._keep(lambda k: k in current)
            return
        while len(self.entries) > self.lru and self.min_generation < self.generation:
            self.min_generation += 1
            self._keep(lambda k: self.used.get(k, 0) >= self.min_generation)

    def _keep(self, wanted) -> None:
        self.entries = {k: v for k, v in self.entries.items() if wanted(k)}
        self.used = {k: g for k, g in self.used.items() if k in self.entries or wanted(k)}

    def get(self, key: str) -> dict[str, Any] | None:
        entry = self.entries.get(key)
        if entry is not None:
            self.used[key] = self.generation
        return entry

    def __contains__(self, key: str) -> bool:
        return key in self.entries

    def put(self, key: str, entry: dict[str, Any]) -> None:
        self.entries[key] = entry
        self.used[key] = self.generation

    def clear(self) -> None:
        """POST /free with unload_models: every model goes."""
        self.entries.clear()
        self.used.clear()

    def values(self) -> list[dict[str, Any]]:
        return list(self.entries.values())


class LoadLog:
    """Model loads a server paid, by model, across crashes (a crash empties the cache, so the
    next job pays a load again, as on ComfyUI)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.loads: Counter[str] = Counter()

    def record(self, model: str) -> None:
        with self.lock:
            self.loads[model] += 1

    def snapshot(self) -> dict[str, int]:
        with self.lock:
            return dict(sorted(self.loads.items()))
