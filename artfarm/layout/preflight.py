"""Preflight: what a printer would reject, found before the printer does.

Each finding is an error (the build stops) or a warning (the book builds; look at it):
    error    missing art · art below printer.min_ppi · unknown font · a character the font
             lacks · text that does not fit · a spread on a right-hand page · a spread's text
             in the gutter (placement.py) · odd page count · a font not embedded · no
             TrimBox · page size ≠ trim + bleed
    warning  fewer pages than printer.min_pages · proof pages without final art · text over
             busy art, or text that shrank below fonts.size (placement.py) · more than 2 %
             of a page's art cropped (interior.py)
    info     colour space of the art (RGB/CMYK), worst resolution, spine width
The report is written as `layout/preflight.json` and `layout/preflight.txt`.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from artfarm.atomic import write_json, write_text
from artfarm.layout.fonts import describe, missing_glyphs
from artfarm.layout.job import LayoutJob
from artfarm.problems import ArtfarmError, Problem

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Finding:
    severity: Severity
    file: str
    field: str
    problem: str
    fix: str
    page: int | None = None

    @classmethod
    def of(cls, problem: Problem, severity: Severity = "error") -> Finding:
        return cls(severity, problem.file, problem.field, problem.problem, problem.fix)

    def as_problem(self) -> Problem:
        return Problem(self.file, self.field, self.problem, self.fix)


@dataclass
class Report:
    book: str
    findings: list[Finding] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    def add(self, findings: list[Finding]) -> None:
        self.findings.extend(findings)

    def raise_if_errors(self) -> None:
        if self.errors:
            raise ArtfarmError([f.as_problem() for f in self.errors])

    def record(self) -> dict[str, Any]:
        return {
            "book": self.book,
            "ok": not self.errors,
            "facts": self.facts,
            "findings": [asdict(f) for f in self.findings],
        }

    def text(self) -> str:
        lines = [f"preflight {self.book}: {'OK' if not self.errors else 'FAILED'}"]
        lines += [f"  {k}: {v}" for k, v in self.facts.items()]
        for f in self.findings:
            lines.append(f"{f.severity}: {f.as_problem().line()}")
        return "\n".join(lines) + "\n"


def write_report(job: LayoutJob, report: Report) -> None:
    write_json(job.out("layout/preflight.json"), report.record())
    write_text(job.out("layout/preflight.txt"), report.text())


def text_findings(job: LayoutJob) -> list[Finding]:
    """Every character the book prints must exist in the chosen font (Typst would drop it)."""
    spec, file = job.spec, job.spec_file
    checks: list[tuple[str, str, bool, int | None]] = [
        ("title", spec.title, True, None),
        ("subtitle", spec.subtitle or "", False, None),
        ("author", spec.author or "", False, None),
        ("dedication", spec.dedication or "", False, None),
        ("end_text", spec.end_text, True, None),
        ("cover.front_text", spec.cover.front_text or "", True, None),
        ("cover.back_text", spec.cover.back_text, False, None),
        ("cover.spine_text", spec.cover.spine_text or "", True, None),
        ("copyright.holder", spec.copyright.holder or "", False, None),
        ("copyright.note", spec.copyright.note, False, None),
    ]
    checks += [(f"pages[{i}].text", p.text, False, p.page) for i, p in enumerate(spec.pages)]
    out = []
    for name, text, bold, page in checks:
        missing = missing_glyphs(job.fonts, text, bold=bold)
        if missing:
            where = f"page {page}: " if page is not None else ""
            out.append(
                Finding(
                    "error",
                    file,
                    name,
                    f"{where}font {job.fonts.family!r} has no glyph for {describe(missing)}",
                    "replace those characters, or choose a font that has them (fonts.family)",
                    page,
                )
            )
    return out


def page_count_findings(job: LayoutJob, pages: int) -> list[Finding]:
    out = []
    if pages % 2:
        out.append(Finding("error", job.spec_file, "order", f"{pages} pages is odd", "add a page"))
    minimum = job.spec.printer.min_pages
    if pages < minimum:
        out.append(
            Finding(
                "warning",
                job.spec_file,
                "pages",
                f"{pages} interior pages is below {job.spec.printer.name}'s minimum of {minimum}",
                "add story pages (or set printer.min_pages for another printer)",
            )
        )
    return out


@contextlib.contextmanager
def scratch_pdf(folder: Path) -> Iterator[Path]:
    """A temporary PDF path in `folder` (same disk as the book, not a RAM-backed /tmp), removed after."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".preflight-", suffix=".pdf.part", dir=folder)
    os.close(fd)
    try:
        yield Path(tmp)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def read_pages(pdf: Path) -> Iterator[Any]:
    """Each page of the PDF on disk, read lazily by a reader of its own.

    pypdf caches every object it resolves, image streams included: one reader for the whole
    book would hold all the art (hundreds of MB) in memory. A reader per page keeps one page's
    objects at a time; only the cross-reference table is parsed again.
    """
    with open(pdf, "rb") as fh:
        count = len(PdfReader(fh).pages)
        for index in range(count):
            yield PdfReader(fh).pages[index]


def pdf_findings(
    job: LayoutJob, pdf: Path, name: str, expect_w: float, expect_h: float, trim_box: bool = True
) -> tuple[list[Finding], dict[str, Any]]:
    """Read the PDF back from disk as a printer would: page boxes, fonts, image colour spaces."""
    out: list[Finding] = []
    fonts: set[str] = set()
    spaces: set[str] = set()
    pages = 0
    for number, page in enumerate(read_pages(pdf), start=1):
        pages = number
        media = page.mediabox
        if abs(float(media.width) - expect_w) > 0.5 or abs(float(media.height) - expect_h) > 0.5:
            out.append(
                Finding(
                    "error",
                    name,
                    "",
                    f"page {number}: media box {float(media.width):.1f}×{float(media.height):.1f} pt, expected {expect_w:.1f}×{expect_h:.1f} (trim + bleed)",
                    "report this layout bug",
                    number,
                )
            )
        if trim_box and "/TrimBox" not in page:
            out.append(
                Finding(
                    "error",
                    name,
                    "",
                    f"page {number}: no TrimBox",
                    "report this layout bug",
                    number,
                )
            )
        for font_name, embedded in page_fonts(page):
            fonts.add(font_name)
            if not embedded:
                out.append(
                    Finding(
                        "error",
                        name,
                        f"page {number}",
                        f"page {number}: font {font_name} is not embedded",
                        "use a font file shipped with artfarm or the book",
                        number,
                    )
                )
        spaces |= image_spaces(page.get("/Resources"))
    facts = {
        "pdf": name,
        "pdf_pages": pages,
        "fonts": sorted(fonts),
        "image_colour": ", ".join(sorted(spaces)) or "no images",
    }
    return out, facts


def page_fonts(page: Any) -> list[tuple[str, bool]]:
    resources = page.get("/Resources")
    fonts = resources.get_object().get("/Font") if resources else None
    out = []
    for ref in fonts.get_object().values() if fonts else []:
        font = ref.get_object()
        name = str(font.get("/BaseFont", "?")).lstrip("/")
        targets = [font] + [d.get_object() for d in font.get("/DescendantFonts", [])]
        embedded = (
            any(
                any(
                    k in t.get("/FontDescriptor", DictionaryObject()).get_object()
                    for k in ("/FontFile", "/FontFile2", "/FontFile3")
                )
                for t in targets
            )
            or font.get("/Subtype") == "/Type3"
        )
        out.append((name, embedded))
    return out


def image_spaces(resources: Any, depth: int = 0) -> set[str]:
    """Colour spaces of images, following form XObjects; named RGB/CMYK/Gray for the report."""
    if resources is None or depth > 6:
        return set()
    xobjects = resources.get_object().get("/XObject")
    spaces: set[str] = set()
    for ref in xobjects.get_object().values() if xobjects else []:
        obj = ref.get_object()
        if obj.get("/Subtype") == "/Image":
            spaces.add(colour_name(obj.get("/ColorSpace")))
        elif obj.get("/Subtype") == "/Form":
            spaces |= image_spaces(obj.get("/Resources"), depth + 1)
    return spaces


def colour_name(space: Any) -> str:
    text = str(space.get_object() if hasattr(space, "get_object") else space)
    if "CMYK" in text:
        return "CMYK"
    if "Gray" in text:
        return "Gray"
    if "ICCBased" in text:
        return "RGB (ICC)"
    return "RGB"
