"""Stage folders made without a server, for the pure parts (reviews, gates, sheets, to-do)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

from artfarm.documents.book import Book
from artfarm.pipeline.manifest import StageManifest, images_identity, write_manifest
from artfarm.pipeline.stages import output_file


def paint(path: Path, seed: int, size: tuple[int, int] = (64, 80)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", size, (seed * 40 % 255, 120, 200))
    ImageDraw.Draw(image).rectangle([4, 4, 20 + seed, 30], fill=(250, 250, 250))
    image.save(path)
    return path


def fake_stage(book: Book, page: int, stage: str, ids: list[str], size=(64, 80)) -> StageManifest:
    folder = book.page_dir(page) / stage
    outputs = [output_file(paint(folder / f"{i}.png", n + 1, size), i) for n, i in enumerate(ids)]
    manifest = StageManifest(
        stage=stage,
        book_id=book.id,
        page=page,
        spec=book.load_spec(page).model_dump(mode="json"),
        params="test",
        outputs=outputs,
        images_sha256=images_identity(outputs),
    )
    write_manifest(folder, manifest)
    return manifest
