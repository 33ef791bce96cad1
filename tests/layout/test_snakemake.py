"""The layout rules under real Snakemake: editing one page's text re-runs layout only."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

SNAKEFILE = Path(__file__).with_name("Snakefile")
SNAKEMAKE = Path(sys.executable).with_name("snakemake")


def snakemake(workdir: Path, *args: str) -> str:
    result = subprocess.run(
        [str(SNAKEMAKE), "-s", str(SNAKEFILE), "--cores", "2", *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def planned_rules(output: str) -> set[str]:
    return set(re.findall(r"^rule (\w+):", output, re.M))


@pytest.mark.slow
def test_editing_one_pages_text_reruns_the_interior_and_no_art_job(make_book):
    book = make_book()
    workdir = book.parent.parent
    target = "books/tiny/layout/pages.pdf"
    first = snakemake(workdir, target)
    assert "layout_art" in first and (book / "layout/pages.pdf").is_file()
    assert planned_rules(snakemake(workdir, "-n", target)) == set()

    spec_path = book / "layout/book.yaml"
    spec = yaml.safe_load(spec_path.read_text())
    spec["pages"][2]["text"] = "Page 3 says something new."
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False))
    assert planned_rules(snakemake(workdir, "-n", target)) == {"layout_pages"}


@pytest.mark.slow
def test_changing_the_trim_redoes_every_page_jpeg_through_its_params(make_book):
    book = make_book()
    workdir = book.parent.parent
    target = "books/tiny/layout/pages.pdf"
    snakemake(workdir, target)
    spec_path = book / "layout/book.yaml"
    spec = yaml.safe_load(spec_path.read_text())
    spec["bleed"] = 0.1
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False))
    out = snakemake(workdir, "-n", target)
    assert planned_rules(out) == {"layout_art", "layout_pages"}
    assert "Params have changed" in out


@pytest.mark.slow
def test_a_licence_edit_reruns_the_interior_when_it_has_a_copyright_page(make_book):
    from .test_copyright import CONFIG, book

    root = book(make_book)
    workdir = root.parent.parent
    target = "books/tiny/layout/pages.pdf"
    snakemake(workdir, target)
    assert planned_rules(snakemake(workdir, "-n", target)) == set()
    config = yaml.safe_load(yaml.safe_dump(CONFIG))
    config["models"]["licences"]["wash.safetensors"] = "CC-BY-4.0"
    (root / "book_config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    assert planned_rules(snakemake(workdir, "-n", target)) == {"layout_pages"}
