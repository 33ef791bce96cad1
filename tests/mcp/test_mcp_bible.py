"""The bible's rendered items through MCP: an agent looks at a character sheet's (or a golden
image's) candidates, reviews it with `artfarm review`'s checks (no inpaint fixes), and reads
its documents."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest
from PIL import Image

from artfarm.documents.bible import SHEET, BibleItem
from artfarm.mcp.images import LONG_SIDE
from artfarm.pipeline.bible_items import (
    item_contact,
    load_item_review,
    rendered_path,
    run_item_final,
)
from tests.mcp.session import images, mcp_session, texts
from tests.pipeline.test_sheets import fake_sheet_stage, render_bear, sheet_run
from tests.pipeline.test_style_refs import MEADOW, fake_stage, with_golden

BEAR_SHEET = BibleItem(SHEET, "bear")

pytestmark = pytest.mark.slow

BEAR = {"book": "tiny_01", "subject": "sheet:bear"}
SHEETS = "artfarm://books/tiny_01/bible/sheets/bear"


def test_an_agent_reviews_a_character_sheet_through_mcp(project: Path) -> None:
    book = render_bear(project)
    fake_sheet_stage(book, "draft", ["c01", "c02"])
    item_contact(sheet_run(book), "draft")
    fix = {"x": 1, "y": 1, "width": 4, "height": 4, "prompt": "a paw"}

    async def go():
        calls = {}
        async with mcp_session(project) as client:
            calls["next"] = await client.call_tool("next", {"book": "tiny_01"})
            calls["sheet"] = await client.call_tool("contact_sheet", {**BEAR, "stage": "draft"})
            calls["draft"] = await client.call_tool("page_image", {**BEAR, "image": "c02"})
            calls["review"] = await client.call_tool(
                "review",
                {**BEAR, "stage": "draft", "select": ["c02"], "reject_rest": "stiff",
                 "rationale": "clear side view"},
            )  # fmt: skip
            fake_sheet_stage(book, "refine", ["c02-v1", "c02-v2"])
            final = {**BEAR, "stage": "refine", "final": "c02-v1", "reject_rest": "muddy",
                     "rationale": "best faces"}  # fmt: skip
            calls["fixed"] = await client.call_tool("review", {**final, "fix_box": [fix]})
            calls["final"] = await client.call_tool("review", final)
            run_item_final(sheet_run(book))
            calls["approved"] = await client.call_tool("page_image", {**BEAR, "image": "final"})
            calls["print"] = await client.call_tool("page_image", {**BEAR, "image": "print"})
            listed = [r.uri for r in (await client.list_resources()).resources]
            review = await client.read_resource(f"{SHEETS}/review.json")
        return calls, listed, review

    calls, listed, review = anyio.run(go)
    todo = calls["next"].structured_content["todo"]
    assert (todo[0]["sheet"], todo[0]["state"]) == ("sheet:bear", "awaiting-draft-review")
    assert not calls["sheet"].is_error, texts(calls["sheet"])
    assert calls["sheet"].structured_content["ids"] == ["c01", "c02"]
    assert "sheet:bear, draft ids c01, c02" in texts(calls["sheet"])
    [sheet] = images(calls["sheet"])
    with Image.open(book.root / "bible/sheets/bear/draft/contact_sheet.png") as original:
        assert max(sheet.size) == min(LONG_SIDE, max(original.size))
        assert abs(sheet.width / sheet.height - original.width / original.height) < 0.01
    [draft] = images(calls["draft"])
    assert draft.size == (80, 64)  # the landscape sheet draft, as rendered
    assert not calls["review"].is_error, texts(calls["review"])
    assert "wrote books/tiny_01/bible/sheets/bear/review.json" in texts(calls["review"])
    assert calls["review"].structured_content["todo"][0]["state"] == "needs-refine"
    assert calls["fixed"].is_error
    assert "a bible item (character sheet or golden image) takes no inpaint fixes" in texts(
        calls["fixed"]
    )
    assert not calls["final"].is_error, texts(calls["final"])
    written = load_item_review(book, BEAR_SHEET)
    assert written is not None and written.draft is not None and written.refine is not None
    assert written.draft.selected == ["c02"] and written.draft.rejected == {"c01": "stiff"}
    assert written.refine.final == "c02-v1" and written.refine.reviewer == "agent"
    assert not calls["approved"].is_error, texts(calls["approved"])
    [approved] = images(calls["approved"])
    with Image.open(rendered_path(book, BEAR_SHEET)) as placed:
        assert approved.convert("RGB").tobytes() == placed.convert("RGB").tobytes()
    assert calls["print"].is_error and "a sheet has no print art" in texts(calls["print"])
    for uri in (
        f"{SHEETS}/review.json",
        f"{SHEETS}/draft/manifest.json",
        f"{SHEETS}/refine/manifest.json",
        "artfarm://books/tiny_01/bible/character_refs/bear.manifest.json",
    ):
        assert uri in listed, uri
    assert review.contents[0].text == (book.root / "bible/sheets/bear/review.json").read_text()


def test_a_golden_image_is_looked_at_and_reviewed_as_style_id(project: Path) -> None:
    from artfarm.documents.settings import load_settings
    from artfarm.pipeline.bible_items import ItemRun

    book = with_golden(project)
    fake_stage(book, MEADOW, "draft", ["c01", "c02"])
    item_contact(ItemRun(book, 0, load_settings(), "test", item=MEADOW), "draft")
    meadow = {"book": "tiny_01", "subject": "style:meadow"}
    secret = project / "secret.json"  # a manifest linked out of the book is never read
    secret.write_text('{"secret": true}')
    (book.root / "bible" / "style_refs" / "creek.manifest.json").symlink_to(secret)
    creek = {"book": "tiny_01", "subject": "style:creek", "image": "final"}

    async def go():
        async with mcp_session(project) as client:
            sheet = await client.call_tool("contact_sheet", {**meadow, "stage": "draft"})
            review = await client.call_tool(
                "review",
                {**meadow, "stage": "draft", "select": ["c01"], "reject_rest": "dull light",
                 "rationale": "warm light"},
            )  # fmt: skip
            hills = await client.call_tool(
                "contact_sheet", {"book": "tiny_01", "subject": "style:hills", "stage": "draft"}
            )
            linked = await client.call_tool("page_image", creek)
            listed = [r.uri for r in (await client.list_resources()).resources]
        return sheet, review, hills, linked, listed

    sheet, review, hills, linked, listed = anyio.run(go)
    assert linked.is_error and "outside the book" in texts(linked), texts(linked)
    assert '"secret": true' not in texts(linked)
    assert not sheet.is_error, texts(sheet)
    assert "style:meadow, draft ids c01, c02" in texts(sheet) and images(sheet)
    assert not review.is_error, texts(review)
    assert "wrote books/tiny_01/bible/golden/meadow/review.json" in texts(review)
    written = load_item_review(book, MEADOW)
    assert written is not None and written.draft is not None
    assert written.draft.selected == ["c01"] and written.draft.rejected == {"c02": "dull light"}
    assert hills.is_error and "hills" in texts(hills)  # hand-made: nothing to review
    golden = "artfarm://books/tiny_01/bible/golden/meadow"
    assert f"{golden}/review.json" in listed and f"{golden}/draft/manifest.json" in listed
