"""Seeds: the spec's seed for drafts, derived ones for every later stage.

A derived seed depends only on the spec seed, the stage and what the stage works on (candidate
id, fix number), so re-running any stage reproduces it, and two fixes on one page never share
noise. Every seed a job uses is recorded in its request.
"""

from __future__ import annotations

import hashlib

SEED_MAX = 2**64 - 1


def derive_seed(spec_seed: int, stage: str, source: str = "") -> int:
    """A seed in 0..2^64-1 (KSampler's range) from the spec seed, the stage and its source id."""
    text = f"artfarm-seed/v1:{spec_seed}:{stage}:{source}".encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:8], "big")


def stage_seed(spec_seed: int, stage: str, source: str = "") -> int:
    """Drafts use the spec seed itself (ComfyUI varies it per batch item); others derive one."""
    return spec_seed if stage == "draft" else derive_seed(spec_seed, stage, source)
