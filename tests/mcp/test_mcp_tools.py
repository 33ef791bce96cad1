"""`artfarm mcp` over stdio with the SDK's own client: tools, schemas, images, reviews, errors.

Each test starts a real server subprocess (~3 s): the listing and bad-call tests are fast, the
others are marked slow.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import anyio
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from PIL import Image

from artfarm.cli import main
from artfarm.documents.book import Book
from artfarm.documents.schemas import document_models
from artfarm.mcp.images import LONG_SIDE
from artfarm.pipeline.contact_sheet import page_sheet
from artfarm.pipeline.reviewing import load_review
from tests.bookmaker import edit_spec
from tests.mcp.session import REPO, images, mcp_session, texts
from tests.pipeline.fakes import fake_stage

TOOLS = {
    "next",
    "validate",
    "schema",
    "prompt",
    "graph",
    "replay",
    "plan",
    "build",
    "contact_sheet",
    "page_image",
    "storyboard",
    "review",
}


def run(coroutine_function, *args):
    return anyio.run(coroutine_function, *args)


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """The same request through the CLI, in-process, from the project root."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def at_root(project: Path):
    """Run CLI comparisons from the project root, as the server does."""
    before = Path.cwd()
    os.chdir(project)
    yield project
    os.chdir(before)


def test_every_tool_is_listed_with_the_schema_of_its_arguments(project: Path) -> None:
    async def go():
        async with mcp_session(project) as client:
            return (await client.list_tools()).tools

    tools = {tool.name: tool for tool in run(go)}
    assert set(tools) == TOOLS
    assert all(tool.description for tool in tools.values())
    document = tools["schema"].input_schema["properties"]["document"]
    assert document["enum"] == sorted(document_models())
    review = tools["review"].input_schema
    assert set(review["required"]) == {"book", "stage"}
    assert review["properties"]["stage"]["enum"] == ["draft", "refine"]
    for name in ("review", "contact_sheet", "page_image"):
        schema = tools[name].input_schema
        description = " ".join(schema["description"].split())
        assert "exactly one of the two" in description, name
        assert "not both" in schema["properties"]["page"]["description"]
        assert "sheet:<character id>" in schema["properties"]["subject"]["description"]
    box = review["$defs"]["BoxFix"]["properties"]
    assert {"x", "y", "width", "height", "prompt"} <= set(box)


@pytest.mark.slow
def test_book_tools_answer_what_the_cli_prints(
    at_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = Book(at_root / "books" / "tiny_01")
    fake_stage(book, 2, "draft", ["c01", "c02"])

    async def go():
        async with mcp_session(at_root) as client:
            calls = {
                "next": await client.call_tool("next", {"book": "tiny_01"}),
                "validate": await client.call_tool("validate", {"book": "tiny_01"}),
                "schema": await client.call_tool("schema", {"document": "renderspec"}),
                "prompt": await client.call_tool("prompt", {"book": "tiny_01", "page": 3}),
            }
            return calls

    calls = run(go)
    assert not any(result.is_error for result in calls.values())
    _, out, _ = cli(capsys, "next", "books/tiny_01")
    assert texts(calls["next"]) == out.rstrip("\n")
    _, out, _ = cli(capsys, "next", "books/tiny_01", "--json")
    assert calls["next"].structured_content["todo"] == [json.loads(x) for x in out.splitlines()]
    _, out, err = cli(capsys, "validate", "books/tiny_01")
    assert texts(calls["validate"]) == (err + out).rstrip("\n")
    assert calls["validate"].structured_content["valid"] is True
    assert calls["validate"].structured_content["problems"] == []
    _, out, _ = cli(capsys, "schema", "renderspec")
    assert calls["schema"].structured_content == json.loads(out)
    _, out, _ = cli(capsys, "prompt", "books/tiny_01", "3", "--json")
    assert calls["prompt"].structured_content == json.loads(out)


@pytest.mark.slow
def test_validate_lists_the_same_problems_as_the_cli(
    at_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = at_root / "books" / "tiny_01"
    edit_spec(book, 2, candidates="four")
    edit_spec(book, 3, constraints=["no text", "sparkly unicorn"])

    async def go():
        async with mcp_session(at_root) as client:
            return await client.call_tool("validate", {"book": "tiny_01"})

    result = run(go)
    code, _, err = cli(capsys, "validate", "books/tiny_01")
    assert code == 1
    assert texts(result) == err.rstrip("\n")
    assert not result.structured_content["valid"]
    assert len(result.structured_content["problems"]) >= 2


@pytest.mark.slow
def test_contact_sheet_and_page_images_come_as_png_sized_for_a_vision_model(
    project: Path,
) -> None:
    book = Book(project / "books" / "tiny_01")
    fake_stage(book, 1, "draft", ["c01", "c02", "c03"], size=(1200, 1600))
    sheet = page_sheet(book, 1, "draft")
    with Image.open(sheet) as original:
        sheet_size = original.size
    outside = project / "outside.png"
    (book.page_dir(1) / "draft" / "c03.png").rename(outside)
    (book.page_dir(1) / "draft" / "c03.png").symlink_to(outside)

    async def go():
        async with mcp_session(project) as client:
            sheet = await client.call_tool(
                "contact_sheet", {"book": "tiny_01", "page": 1, "stage": "draft"}
            )
            one = await client.call_tool(
                "page_image", {"book": "tiny_01", "page": 1, "image": "c02"}
            )
            missing = await client.call_tool(
                "page_image", {"book": "tiny_01", "page": 1, "image": "c07"}
            )
            no_sheet = await client.call_tool(
                "contact_sheet", {"book": "tiny_01", "page": 1, "stage": "refine"}
            )
            linked = await client.call_tool(
                "page_image", {"book": "tiny_01", "page": 1, "image": "c03"}
            )
            return sheet, one, missing, no_sheet, linked

    sheet_result, one, missing, no_sheet, linked = run(go)
    assert linked.is_error and "outside" in texts(linked), texts(linked)
    assert not images(linked)
    assert not sheet_result.is_error and not one.is_error
    [picture] = images(sheet_result)
    assert max(picture.size) == min(LONG_SIDE, max(sheet_size))
    assert abs(picture.width / picture.height - sheet_size[0] / sheet_size[1]) < 0.01
    assert sheet_result.structured_content["ids"] == ["c01", "c02", "c03"]
    [draft] = images(one)
    assert draft.size == (1176, LONG_SIDE)  # 1200×1600 scaled to 1568 on the long side
    with Image.open(book.page_dir(1) / "draft" / "c02.png") as source:
        assert draft.convert("RGB").resize(source.size).getpixel((600, 800)) == pytest.approx(
            source.convert("RGB").getpixel((600, 800)), abs=8
        )
    assert missing.is_error and "c07 is not an image of this stage" in texts(missing)
    assert "use one of c01, c02, c03" in texts(missing)
    assert no_sheet.is_error and "no contact sheet yet" in texts(no_sheet)


@pytest.mark.slow
def test_the_storyboard_comes_as_one_png_once_built(project: Path) -> None:
    async def call():
        async with mcp_session(project) as client:
            return await client.call_tool("storyboard", {"book": "tiny_01"})

    missing = run(call)
    assert missing.is_error and "no storyboard yet" in texts(missing)
    assert "target layout/storyboard.pdf" in texts(missing)
    book = project / "books" / "tiny_01"
    assert main(["layout", str(book), "storyboard"]) == 0  # placeholders: no art yet
    result = run(call)
    assert not result.is_error, texts(result)
    [overview] = images(result)
    with Image.open(book / "layout" / "storyboard.png") as built:
        assert overview.size == built.size and max(built.size) == LONG_SIDE
    assert result.structured_content["pdf"].endswith("tiny_01/layout/storyboard.pdf")


def review_flags_and_arguments() -> tuple[list[str], dict]:
    flags = ["--select", "c02", "--reject", "c01", "weak staging", "--reject-rest", "too busy"]
    arguments = {
        "select": ["c02"],
        "reject": {"c01": "weak staging"},
        "reject_rest": "too busy",
        "rationale": "clear focal point",
    }
    return [*flags, "--rationale", "clear focal point"], arguments


@pytest.mark.slow
def test_a_review_through_mcp_is_the_review_artfarm_review_writes(
    at_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = Book(at_root / "books" / "tiny_01")
    fake_stage(book, 1, "draft", ["c01", "c02", "c03"])
    fake_stage(book, 2, "draft", ["c01", "c02", "c03"])
    flags, arguments = review_flags_and_arguments()

    async def go():
        async with mcp_session(at_root) as client:
            return await client.call_tool(
                "review", {"book": "tiny_01", "page": 1, "stage": "draft", **arguments}
            )

    result = run(go)
    assert not result.is_error, texts(result)
    assert cli(capsys, "review", "books/tiny_01", "2", "draft", *flags)[0] == 0
    through_mcp, through_cli = load_review(book, 1), load_review(book, 2)
    assert through_mcp.draft.selected == through_cli.draft.selected == ["c02"]
    assert through_mcp.draft.rejected == through_cli.draft.rejected
    assert through_mcp.draft.rejected == {"c01": "weak staging", "c03": "too busy"}
    assert through_mcp.draft.reviewer == "agent"
    assert result.structured_content["todo"][0]["state"] == "needs-refine"
    assert "wrote books/tiny_01/pages/0001/review.json" in texts(result)


@pytest.mark.slow
def test_a_refine_review_takes_fixes_with_the_same_mask_checks(
    at_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    book = Book(at_root / "books" / "tiny_01")
    fake_stage(book, 1, "draft", ["c01", "c02"])
    assert cli(capsys, "review", "books/tiny_01", "1", "draft", "--select", "c01",
               "--reject-rest", "not this", "--rationale", "good")[0] == 0  # fmt: skip
    fake_stage(book, 1, "refine", ["c01-v1", "c01-v2"])
    refine = {"book": "tiny_01", "page": 1, "stage": "refine", "final": "c01-v2"}
    outside = {"x": 50, "y": 10, "width": 40, "height": 20, "prompt": "a round paw"}
    inside = {"x": 5, "y": 10, "width": 40, "height": 20, "prompt": "a round paw"}
    polygon = {"points": [[1, 1], [30, 2], [10, 40]], "prompt": "a smaller tail"}

    async def go():
        async with mcp_session(at_root) as client:
            bad = await client.call_tool(
                "review",
                {**refine, "fix_box": [outside], "reject_rest": "stiff", "rationale": "light"},
            )
            good = await client.call_tool(
                "review",
                {
                    **refine,
                    "fix_box": [inside],
                    "fix_polygon": [polygon],
                    "reject_rest": "stiff",
                    "rationale": "best light",
                },
            )
            return bad, good

    bad, good = run(go)
    code, _, err = cli(capsys, "review", "books/tiny_01", "1", "refine", "--final", "c01-v2",
                       "--fix-box", "50", "10", "40", "20", "a round paw",
                       "--reject-rest", "stiff", "--rationale", "light")  # fmt: skip
    assert code == 1 and bad.is_error
    assert texts(bad) == err.rstrip("\n")
    assert "box reaches outside the image" in texts(bad)
    assert not good.is_error, texts(good)
    written = load_review(book, 1).refine
    assert written.final == "c01-v2" and written.rejected == {"c01-v1": "stiff"}
    assert [fix.mask.kind for fix in written.fixes] == ["box", "polygon"]
    assert written.fixes[1].mask.points == [(1, 1), (30, 2), (10, 40)]


BAD_CALLS = [
    ("review", {"book": "tiny_01", "page": "one", "stage": "draft"}, "tool review: page:"),
    ("review", {"book": "../x", "page": 1, "stage": "draft"}, "tool review: book:"),
    ("prompt", {"book": "tiny_01", "page": 9}, "pages/0009/renderspec.json"),
    ("next", {"book": "no_such_book"}, "books/no_such_book: no such book"),
    ("schema", {"document": "novel"}, "tool schema: document:"),
    ("plan", {"book": "tiny_01", "target": "../../etc/passwd"}, "target"),
    ("contact_sheet", {"book": "tiny_01", "page": 1, "stage": "draft", "x": 1}, "x: Extra"),
    ("paint", {}, "no tool named 'paint'"),
    ("review", {"book": "tiny_01", "page": 1, "stage": "draft", "select": ["c01"]}, "rationale"),
    ("review", {"book": "tiny_01", "stage": "draft"}, "exactly one of page and subject"),
    (
        "contact_sheet",
        {"book": "tiny_01", "page": 1, "subject": "sheet:bear", "stage": "draft"},
        "tool contact_sheet: subject: give exactly one of page and subject (both given)",
    ),
    ("page_image", {"book": "tiny_01", "subject": "bear", "image": "c01"}, "subject:"),
    ("review", {"book": "tiny_01", "subject": "sheet:fox", "stage": "draft"}, "hand-made sheet"),
]


def test_a_bad_call_returns_one_line_problems_and_no_traceback(project: Path) -> None:
    async def go():
        async with mcp_session(project) as client:
            return [await client.call_tool(name, arguments) for name, arguments, _ in BAD_CALLS]

    for result, (name, _, expected) in zip(run(go), BAD_CALLS, strict=True):
        assert result.is_error, name
        text = texts(result)
        assert expected in text, (name, text)
        assert "Traceback" not in text and 'File "' not in text
        for line in text.splitlines():
            assert line.startswith("error: ") and "(fix: " in line, line
        problems = result.structured_content["problems"]
        assert problems and all(set(p) == {"file", "field", "problem", "fix"} for p in problems)


@pytest.mark.slow
def test_book_documents_are_resources_and_stay_inside_the_book(project: Path) -> None:
    outside = project / "secret.json"
    outside.write_text('{"secret": true}')
    link = project / "books" / "tiny_01" / "pages" / "0007"
    link.mkdir()
    (link / "renderspec.json").symlink_to(outside)
    spec_uri = "artfarm://books/tiny_01/pages/0001/renderspec.json"

    async def go():
        async with mcp_session(project) as client:
            listed = [r.uri for r in (await client.list_resources()).resources]
            templates = (await client.list_resource_templates()).resource_templates
            spec = await client.read_resource(spec_uri)
            refused = []
            for uri in (
                "artfarm://books/tiny_01/pages/0007/renderspec.json",
                "artfarm://books/tiny_01/../../secret.json",
                "artfarm://books/tiny_01/pages/0001/draft/c01.png",
                "file:///etc/passwd",
            ):
                try:
                    await client.read_resource(uri)
                except MCPError as err:
                    refused.append(err.message)
            return listed, templates, spec, refused

    listed, templates, spec, refused = run(go)
    assert spec_uri in listed
    assert "artfarm://books/tiny_01/book_config.yaml" in listed
    assert "artfarm://books/tiny_01/bible/characters.yaml" in listed
    assert templates[0].uri_template == "artfarm://books/{book}/{+path}"
    text = spec.contents[0].text
    assert (
        text == (project / "books" / "tiny_01" / "pages" / "0001" / "renderspec.json").read_text()
    )
    assert len(refused) == 4
    assert "outside the book" in refused[0]
    assert not any('"secret": true' in message for message in refused)
    assert "artfarm://books/tiny_01/pages/0007/renderspec.json" not in listed
    assert "not a book document" in refused[1] and "not a book document" in refused[2]


@pytest.mark.slow
def test_streamable_http_serves_the_same_tools_on_loopback(project: Path) -> None:
    argv = [sys.executable, "-m", "artfarm", "mcp", "--http", "--port", "0", "--root", str(project),
            "--snakefile", str(REPO / "Snakefile")]  # fmt: skip
    server = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True)
    try:
        line = server.stderr.readline()
        assert "streamable HTTP on http://127.0.0.1:" in line, line
        url = line.split(" on ", 1)[1].strip()

        async def go():
            async with Client(url) as client:
                tools = (await client.list_tools()).tools
                result = await client.call_tool("next", {"book": "tiny_01"})
                return tools, result

        tools, result = run(go)
        assert {tool.name for tool in tools} == TOOLS
        assert not result.is_error
        assert "needs-drafts" in texts(result)
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_non_loopback_host_is_refused_without_allow_remote(project: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "artfarm",
            "mcp",
            "--http",
            "--host",
            "0.0.0.0",
            "--root",
            str(project),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.startswith("error: --host: 0.0.0.0: the MCP server has no authentication")
    assert "Traceback" not in done.stderr
