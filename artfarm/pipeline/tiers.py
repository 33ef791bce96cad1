"""The order of GPU jobs by model tier, so a server loads each tier's model once per run.

A book has three model tiers (book_config.yaml `models`): the draft checkpoint, the final
checkpoint (refine and inpaint) and the upscaler (print art, with the final checkpoint's
low-denoise pass). ComfyUI's default cache keeps only the last prompt's nodes, so a queue that
alternates tiers reloads a model at every switch (seconds to tens of seconds on a GPU box).
Snakemake runs the ready job of highest `priority` first: every rule of one tier gets the same
priority, so the ready jobs of a tier all run before the next tier's. Dependencies still win
(a page's print waits for its final), and CPU jobs (priority 0) fill the cores left over.
`ARTFARM_TIER_ORDER=off` gives every job priority 0 (Snakemake's own order), for comparison
(bench/models.py).
"""

from __future__ import annotations

import os

# The tier each GPU stage loads, in the order a book needs them.
STAGE_TIERS = {
    "thumb": "draft",
    "draft": "draft",
    "sheet": "final",
    "refine": "final",
    "final": "final",
    "print": "upscaler",
}
TIER_ORDER = ("draft", "final", "upscaler")


def gpu_priority(stage: str) -> int:
    """Snakemake priority of a stage's GPU rule: earlier tiers first, all above CPU jobs (0)."""
    if os.environ.get("ARTFARM_TIER_ORDER", "on") == "off":
        return 0
    tier = STAGE_TIERS[stage]
    return len(TIER_ORDER) - TIER_ORDER.index(tier)
