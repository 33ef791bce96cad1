"""Preflight report, cover wrap, proof and web export of the tiny book."""

import io
import json

from PIL import Image
from pypdf import PdfReader

from artfarm.cli import main

IN = 72.0


def test_preflight_separates_warnings_from_errors_and_writes_a_report(make_book, capsys):
    book = make_book()
    (book / "pages/0002/print/print.png").unlink()
    assert main(["preflight", str(book), "--json"]) == 1
    records = [json.loads(ln) for ln in capsys.readouterr().out.splitlines()]
    severities = {(r.get("severity"), r.get("page")) for r in records[:-1]}
    assert ("error", 2) in severities  # missing art stops the build
    assert ("warning", None) in severities  # 6 pages is under printer.min_pages 8
    assert records[-1]["ok"] is False
    report = json.loads((book / "layout/preflight.json").read_text())
    assert report["ok"] is False and "FAILED" in (book / "layout/preflight.txt").read_text()


def test_preflight_of_a_good_book_states_resolution_colour_and_spine(make_book, capsys):
    book = make_book()
    assert main(["preflight", str(book)]) == 0
    out = capsys.readouterr().out
    assert "OK" in out and "worst_ppi" in out and "image_colour: RGB" in out and "spine_in" in out


def test_the_cover_wrap_is_two_trims_plus_spine_plus_bleed(make_book):
    book = make_book()
    assert main(["layout", str(book), "cover"]) == 0
    page = PdfReader(book / "layout/cover.pdf").pages[0]
    spine = 6 * 0.002252 * IN  # 6 interior pages on white paper
    assert abs(float(page.mediabox.width) - (2 * 2 * IN + spine + 2 * 0.125 * IN)) < 0.01
    assert abs(float(page.trimbox.width) - (2 * 2 * IN + spine)) < 0.01
    text = page.extract_text()
    assert "Tiny Bear" in text and "A small story." in text
    assert "Test Author" in text and "Tiny Bear — Test Author" not in text  # spine too thin


def test_spine_text_appears_once_the_spine_is_wide_enough(make_book):
    from .conftest import small_layout

    book = make_book(
        small_layout(paper="cream", printer={"min_pages": 8, "min_spine_text_in": 0.01})
    )
    assert main(["layout", str(book), "cover"]) == 0
    assert "Tiny Bear — Test Author" in PdfReader(book / "layout/cover.pdf").pages[0].extract_text()


def test_the_proof_uses_the_best_art_and_a_scene_placeholder_and_is_stamped(make_book):
    book = make_book()
    (book / "pages/0002/print/print.png").rename(book / "pages/0002/final.png")
    (book / "pages/0002/final").mkdir()
    (book / "pages/0002/final.png").rename(book / "pages/0002/final/final.png")
    (book / "pages/0003/print/print.png").unlink()
    assert main(["layout", str(book), "proof"]) == 0
    reader = PdfReader(book / "layout/proof.pdf")
    texts = [p.extract_text() for p in reader.pages]
    assert all("PROOF" in t for t in texts)
    assert "final art" in texts[2] and "Bear on page 3" in texts[3] and "no art yet" in texts[3]


def test_the_web_export_is_small_with_a_png_per_page(make_book):
    book = make_book()
    assert main(["layout", str(book), "web"]) == 0
    web = book / "exports/web"
    reader = PdfReader(io.BytesIO((web / "book.pdf").read_bytes()))
    assert float(reader.pages[0].mediabox.width) == 2 * IN  # reading copy: trim size, no bleed
    index = json.loads((web / "index.json").read_text())
    assert len(index["pages"]) == len(reader.pages) == 6
    assert all((web / p).is_file() for p in index["pages"])
    with Image.open(web / "0001.jpg") as img:
        assert img.width == round(150 * 2.125)  # ≈150 ppi


def test_web_art_is_scaled_from_the_print_jpeg_with_the_same_crop(make_book):
    book = make_book(art_size=(720, 1200))  # taller than the page: the crop matters
    assert main(["layout", str(book), "web"]) == 0
    web = book / "exports/web"
    sidecar = json.loads((web / "0001.json").read_text())
    assert sidecar["key"]["source"].endswith("exports/print/0001.jpg")
    with Image.open(book / "exports/print/0001.jpg") as big, Image.open(web / "0001.jpg") as small:
        assert abs(big.width / big.height - small.width / small.height) < 0.01
        a, b = big.resize((8, 8)).tobytes(), small.resize((8, 8)).tobytes()
        assert max(abs(x - y) for x, y in zip(a, b, strict=True)) < 40  # same picture, same crop


def test_checks_leave_no_scratch_pdfs_and_a_failed_build_no_pdf(make_book, capsys):
    book = make_book()
    assert main(["preflight", str(book)]) == 0
    assert sorted(p.name for p in (book / "layout").iterdir()) == [
        "book.yaml",
        "preflight.json",
        "preflight.txt",
    ]
    (book / "pages/0002/print/print.png").unlink()
    (book / "exports/print/0002.jpg").unlink()
    assert main(["layout", str(book), "pages"]) == 1
    assert not (book / "layout/pages.pdf").exists()
    assert not [p for p in (book / "layout").iterdir() if p.name.endswith(".part")]
