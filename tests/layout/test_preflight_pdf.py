"""Preflight reads a PDF back as a printer would: boxes, fonts, image colours, page counts.

The PDFs here are made with pypdf, each with exactly the defect a printer rejects (a media box
off by more than half a point, no TrimBox, a font not embedded, CMYK art inside a form), so
every check is seen to fire, and to stay quiet on the good case next to it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    RectangleObject,
)

from artfarm.layout.job import open_job
from artfarm.layout.preflight import (
    Finding,
    Report,
    page_count_findings,
    pdf_findings,
    scratch_pdf,
    write_report,
)
from artfarm.problems import ArtfarmError
from tests.layout.conftest import small_layout

W, H = 153.0, 162.0  # points: the tiny book's trim + bleed


def _name(value: str) -> NameObject:
    return NameObject(value)


def _dict(**entries: Any) -> DictionaryObject:
    return DictionaryObject({_name("/" + k): v for k, v in entries.items()})


def _stream(writer: PdfWriter, **entries: Any) -> Any:
    stream = DecodedStreamObject()
    stream.set_data(b"")
    stream.update({_name("/" + k): v for k, v in entries.items()})
    return writer._add_object(stream)


def _image(writer: PdfWriter, space: Any) -> Any:
    return _stream(writer, Subtype=_name("/Image"), ColorSpace=space)


def _form(writer: PdfWriter, resources: DictionaryObject) -> Any:
    return _stream(writer, Subtype=_name("/Form"), Resources=resources)


def _pdf(
    tmp_path: Path, pages: list[dict[str, Any]], name: str = "book.pdf"
) -> tuple[Path, PdfWriter]:
    """One page per dict: size (w, h), trim (bool), resources (callable writer → dict)."""
    writer = PdfWriter()
    for spec in pages:
        w, h = spec.get("size", (W, H))
        page = writer.add_blank_page(w, h)
        if spec.get("trim", True):
            page.trimbox = RectangleObject([9, 9, w - 9, h - 9])
        if "resources" in spec:
            page[_name("/Resources")] = spec["resources"](writer)
    path = tmp_path / name
    with open(path, "wb") as fh:
        writer.write(fh)
    return path, writer


def _findings(path: Path, **trim_box: bool) -> tuple[list[Finding], dict[str, Any]]:
    return pdf_findings(None, path, "layout/pages.pdf", W, H, **trim_box)  # type: ignore[arg-type]


def _problems(findings: list[Finding]) -> list[str]:
    return [f"{f.severity} p{f.page}: {f.problem}" for f in findings]


@pytest.mark.parametrize(
    ("size", "wrong"),
    [
        ((W + 0.4, H), False),
        ((W, H - 0.4), False),
        ((W + 0.5, H), False),
        ((W, H - 0.5), False),
        ((W + 0.6, H), True),
        ((W - 0.6, H), True),
        ((W, H + 0.6), True),
        ((W, H - 0.6), True),
    ],
)
def test_a_media_box_off_by_more_than_half_a_point_is_an_error(
    tmp_path: Path, size: tuple[float, float], wrong: bool
) -> None:
    path, _ = _pdf(tmp_path, [{}, {"size": size}])
    findings, facts = _findings(path)
    boxes = [f for f in findings if "media box" in f.problem]
    assert [(f.severity, f.page, f.file) for f in boxes] == (
        [("error", 2, "layout/pages.pdf")] if wrong else []
    )
    assert facts["pdf_pages"] == 2 and facts["pdf"] == "layout/pages.pdf"


def test_a_page_without_trim_box_is_an_error_where_one_is_required(tmp_path: Path) -> None:
    path, _ = _pdf(tmp_path, [{}, {"trim": False}, {}])
    findings, _ = _findings(path)  # required unless told otherwise (the cover)
    assert _problems(findings) == ["error p2: page 2: no TrimBox"]
    assert _findings(path, trim_box=False)[0] == []  # the web PDF needs none


def _fonts(writer: PdfWriter) -> DictionaryObject:
    """Four fonts: bare Type1 (not embedded), TrueType with FontFile2, Type0 whose descendant
    carries FontFile3, and Type3 (glyphs drawn in the PDF itself)."""
    file = _stream(writer)
    bare = _dict(Type=_name("/Font"), Subtype=_name("/Type1"), BaseFont=_name("/Helvetica"))
    truetype = _dict(
        Type=_name("/Font"),
        Subtype=_name("/TrueType"),
        BaseFont=_name("/Sans"),
        FontDescriptor=writer._add_object(_dict(FontFile2=file)),
    )
    descendant = _dict(Subtype=_name("/CIDFontType2"), FontDescriptor=_dict(FontFile3=file))
    type0 = _dict(
        Type=_name("/Font"),
        Subtype=_name("/Type0"),
        BaseFont=_name("/Serif"),
        DescendantFonts=ArrayObject([writer._add_object(descendant)]),
    )
    type3 = _dict(Type=_name("/Font"), Subtype=_name("/Type3"), BaseFont=_name("/Drawn"))
    fonts = {"/F1": bare, "/F2": truetype, "/F3": type0, "/F4": type3}
    return _dict(Font=_dict(**{k[1:]: writer._add_object(v) for k, v in fonts.items()}))


def test_only_a_font_without_its_file_is_reported_not_embedded(tmp_path: Path) -> None:
    path, _ = _pdf(tmp_path, [{}, {"resources": _fonts}])
    findings, facts = _findings(path)
    assert _problems(findings) == ["error p2: page 2: font Helvetica is not embedded"]
    assert findings[0].field == "page 2"
    assert facts["fonts"] == ["Drawn", "Helvetica", "Sans", "Serif"]


def test_image_colours_are_named_and_found_inside_forms(tmp_path: Path) -> None:
    def resources(writer: PdfWriter) -> DictionaryObject:
        icc = ArrayObject([_name("/ICCBased"), _stream(writer, N=NumberObject(3))])
        inner = _dict(XObject=_dict(Im2=_image(writer, _name("/DeviceGray"))))
        xobjects = _dict(
            Im1=_image(writer, _name("/DeviceCMYK")),
            Fm1=_form(writer, inner),
            Im3=_image(writer, writer._add_object(icc)),
        )
        return _dict(XObject=xobjects)

    path, _ = _pdf(tmp_path, [{"resources": resources}])
    findings, facts = _findings(path)
    assert findings == []
    assert facts["image_colour"] == "CMYK, Gray, RGB (ICC)"


def test_plain_rgb_art_and_a_page_without_images(tmp_path: Path) -> None:
    def rgb(writer: PdfWriter) -> DictionaryObject:
        return _dict(XObject=_dict(Im1=_image(writer, _name("/DeviceRGB"))))

    assert _findings(_pdf(tmp_path, [{"resources": rgb}])[0])[1]["image_colour"] == "RGB"
    assert _findings(_pdf(tmp_path, [{}], "empty.pdf")[0])[1]["image_colour"] == "no images"


def test_forms_nested_six_deep_are_followed_and_a_form_holding_itself_ends(
    tmp_path: Path,
) -> None:
    def nested(levels: int, space: str) -> Any:
        def resources(writer: PdfWriter) -> DictionaryObject:
            inner = _dict(XObject=_dict(Im=_image(writer, _name(space))))
            for _ in range(levels):
                inner = _dict(XObject=_dict(Fm=_form(writer, inner)))
            return inner

        return resources

    def self_holding(writer: PdfWriter) -> DictionaryObject:
        form = _form(writer, DictionaryObject())
        loop = _dict(XObject=_dict(Fm=form))
        form.get_object()[_name("/Resources")] = loop
        return loop

    deep, _ = _pdf(tmp_path, [{"resources": nested(6, "/DeviceCMYK")}], "deep.pdf")
    assert _findings(deep)[1]["image_colour"] == "CMYK"
    looped, _ = _pdf(tmp_path, [{"resources": self_holding}], "loop.pdf")
    assert _findings(looped)[1]["image_colour"] == "no images"


@pytest.fixture
def job(make_book: Any) -> Any:
    return open_job(make_book(small_layout(pages=6)))  # printer.min_pages is 8


@pytest.mark.parametrize(
    ("pages", "expected"),
    [
        (7, [("error", "order", "7 pages is odd"), ("warning", "pages", "7 interior pages")]),
        (6, [("warning", "pages", "6 interior pages")]),
        (8, []),
        (9, [("error", "order", "9 pages is odd")]),
        (10, []),
    ],
)
def test_an_odd_page_count_is_an_error_and_a_short_book_a_warning(
    job: Any, pages: int, expected: list[tuple[str, str, str]]
) -> None:
    found = page_count_findings(job, pages)
    assert len(found) == len(expected)
    got = [
        (f.severity, f.field, f.problem[: len(e[2])]) for f, e in zip(found, expected, strict=True)
    ]
    assert got == expected
    assert all(f.file == job.spec_file for f in found)


def test_the_report_fails_only_on_errors_and_writes_both_files(job: Any) -> None:
    warning = Finding("warning", "b.yaml", "pages", "6 pages is few", "add pages")
    error = Finding("error", "b.yaml", "order", "7 pages is odd", "add a page", 7)
    report = Report("tiny", [warning], {"spine_in": 0.01})
    report.raise_if_errors()  # warnings alone never stop a build
    assert report.record()["ok"] is True and report.text().startswith("preflight tiny: OK\n")
    report.add([error])
    with pytest.raises(ArtfarmError) as raised:
        report.raise_if_errors()
    assert [p.problem for p in raised.value.problems] == ["7 pages is odd"]
    write_report(job, report)
    text = (job.root / "layout/preflight.txt").read_text()
    assert text.splitlines()[:2] == ["preflight tiny: FAILED", "  spine_in: 0.01"]
    assert "warning: " in text and "error: " in text and text.endswith("\n")
    record = (job.root / "layout/preflight.json").read_text()
    assert '"ok": false' in record and '"page": 7' in record


def test_the_scratch_pdf_is_made_beside_the_book_and_removed(tmp_path: Path) -> None:
    folder = tmp_path / "book" / "layout"
    open_files = len(os.listdir("/proc/self/fd"))
    with scratch_pdf(folder) as scratch:
        assert scratch.parent == folder and scratch.exists()
        assert len(os.listdir("/proc/self/fd")) == open_files  # no descriptor kept open
        scratch.write_bytes(b"%PDF")
    assert not scratch.exists() and list(folder.iterdir()) == []
    with scratch_pdf(folder) as scratch:
        scratch.unlink()  # a check that removed it itself is no error


def test_an_empty_pdf_has_no_pages_to_report(tmp_path: Path) -> None:
    path = tmp_path / "empty.pdf"
    with open(path, "wb") as fh:
        PdfWriter().write(fh)
    findings, facts = _findings(path)
    assert findings == [] and facts["pdf_pages"] == 0 and facts["fonts"] == []
