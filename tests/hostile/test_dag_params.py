"""Building the DAG never raises for one page's hostile document: its params say "invalid"."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from artfarm.documents.book import Book
from artfarm.pipeline import dagparams
from tests.hostile.conftest import Hostile
from tests.pipeline.fakes import fake_stage


def hand_written_review(book: Book, mask_path: str) -> None:
    """A review.json whose refine fix names `mask_path`, as an agent might write it by hand."""
    drafts = fake_stage(book, 1, "draft", ["c01", "c02"])
    variants = fake_stage(book, 1, "refine", ["c01-v1"], size=(128, 160))
    judged = {"rationale": "clear", "reviewer": "agent", "reviewed_at": "2026-01-01T00:00:00Z"}
    review = {
        "book_id": book.id,
        "page": 1,
        "draft": {
            **judged,
            "drafts_sha256": drafts.images_sha256,
            "selected": ["c01"],
            "rejected": {"c02": "weaker"},
        },
        "refine": {
            **judged,
            "variants_sha256": variants.images_sha256,
            "final": "c01-v1",
            "fixes": [{"mask": {"kind": "image", "path": mask_path}, "prompt": "a paw"}],
        },
    }
    book.review_path(1).write_text(json.dumps(review))


@pytest.mark.parametrize(
    "mask", ["book_config.yaml", "link.png", "fifo.png", "/etc/passwd", "../x.png", "gone.png"]
)
def test_a_hostile_mask_in_a_hand_written_review_does_not_stop_the_dag(
    hostile: Hostile, mask: str
) -> None:
    dagparams.open_book.cache_clear()
    book = Book(Path("books/tiny_01"))
    (book.root / "link.png").symlink_to(hostile.canary(".png"))
    os.mkfifo(book.root / "fifo.png")
    hand_written_review(book, mask)
    wildcards = SimpleNamespace(book="tiny_01", page="0001")
    assert dagparams.final_recipe(wildcards).startswith("invalid:")
    assert not dagparams.draft_request(wildcards).startswith("invalid:")  # the rest goes on
