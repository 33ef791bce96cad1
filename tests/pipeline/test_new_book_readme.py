"""The README's "Start a new book" commands, exactly as written, make a 4-page book's PDF.

The commands are read from README.md, so the guide and this test cannot drift apart. They run
in a copy of the checkout (Snakefile, rules, scripts, profile, style packs) whose config points
at a free port, from a folder with no book in it; between `new-book` and the rest, the author's
part is scripted: two characters of their own (one with a non-ASCII name), four scenes and
four texts. The reviews are the README's scripted ones (`--auto`).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from artfarm.pipeline.awaiting import WAITING
from tests.pipeline.project import REPO

pytestmark = pytest.mark.slow

CHECKOUT_PARTS = ("Snakefile", "environment.yml", "rules", "scripts", "profiles", "style_packs")
SCENES = [
    "Jürgen the heron finds a lost acorn by the pond",
    "Mia the squirrel climbs down the oak tree to meet Jürgen",
    "Jürgen and Mia carry the acorn across the meadow together",
    "Mia plants the acorn while Jürgen watches at sunset",
]
TEXTS = [
    "One morning Jürgen found an acorn.",
    "Mia came down to see.",
    "Together they carried it home.",
    "And there it grew, slowly, into a tree.",
]


def readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Start a new book", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    return [line.strip() for line in block.splitlines() if line.strip()]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def make_checkout(root: Path) -> Path:
    root.mkdir(parents=True)
    for part in CHECKOUT_PARTS:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, root / part)
        else:
            shutil.copy2(source, root / part)
    (root / "config").mkdir()
    shutil.copy2(REPO / "config" / "config.schema.json", root / "config")
    port = free_port()
    config = {
        "servers": [f"http://127.0.0.1:{port}"],
        "sketch": {"port": port},
        "models_dir": "models",
        "runtime_dir": "runtime",
    }
    (root / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    return root


def write_the_authors_part(book: Path) -> None:
    """What only the author can write: characters, scenes, texts (the placeholders' places)."""
    bible = {
        "characters": [
            {
                "id": "juergen",
                "name": "Jürgen",
                "description": "a tall grey heron with a blue woollen hat",
                "sheets": [],
            },
            {
                "id": "mia",
                "name": "Mia",
                "description": "a small red squirrel with a bushy tail",
                "sheets": [],
            },
        ],
        "forbidden": [],
    }
    (book / "bible" / "characters.yaml").write_text(yaml.safe_dump(bible, allow_unicode=True))
    for number, scene in enumerate(SCENES, start=1):
        path = book / "pages" / f"{number:04d}" / "renderspec.json"
        spec = json.loads(path.read_text(encoding="utf-8"))
        spec["scene"] = scene
        spec["characters"] = [
            {"id": "juergen", "pose": "standing", "emotion": "curious"},
            {"id": "mia", "pose": "sitting", "emotion": "happy"},
        ]
        path.write_text(json.dumps(spec, indent=2, ensure_ascii=False), encoding="utf-8")
    layout_path = book / "layout" / "book.yaml"
    layout = yaml.safe_load(layout_path.read_text(encoding="utf-8"))
    for entry, text in zip(layout["pages"], TEXTS, strict=True):
        entry["text"] = text
    layout_path.write_text(yaml.safe_dump(layout, allow_unicode=True), encoding="utf-8")


def run(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        shlex.split(command), cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )


def test_the_readme_makes_a_new_four_page_book_from_a_blank_folder(tmp_path: Path) -> None:
    commands = readme_commands()
    assert commands[0] == "source .venv/bin/activate"
    assert sum(c.startswith("snakemake ") for c in commands) == 4
    root = make_checkout(tmp_path / "checkout")
    assert not (root / "books").exists()
    env = {k: v for k, v in os.environ.items() if k != "ARTFARM_CONFIG"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    snakemake_codes = []
    try:
        for command in commands[1:]:
            done = run(command, root, env)
            output = done.stdout + done.stderr
            assert "Traceback" not in output, f"{command}\n{output}"
            if command.startswith("snakemake "):
                snakemake_codes.append(done.returncode)
                assert done.returncode in (0, WAITING), f"{command}\n{output}"
            else:
                assert done.returncode == 0, f"{command}\n{output}"
            if command.startswith("artfarm new-book "):
                book_dir = root / "books" / shlex.split(command)[2]
                write_the_authors_part(book_dir)
    finally:
        subprocess.run(
            [sys.executable, "-m", "artfarm", "comfyui", "stop"], cwd=root, env=env, check=False
        )
    assert snakemake_codes == [0, WAITING, WAITING, 0]  # the storyboard needs no review
    storyboard = root / "books" / "my_book" / "layout" / "storyboard.pdf"
    assert len(PdfReader(storyboard).pages) == 4  # title | 2 3 | 4 5 | the end
    assert (root / "books" / "my_book" / "layout" / "storyboard.png").is_file()
    pdf = root / "books" / "my_book" / "layout" / "pages.pdf"
    reader = PdfReader(pdf)
    assert len(reader.pages) == 6  # title, four story pages, the end
    text = "".join(page.extract_text() or "" for page in reader.pages)
    assert "Jürgen found an acorn" in " ".join(text.split())  # wherever the lines break
