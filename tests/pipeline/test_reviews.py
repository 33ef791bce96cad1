"""Reviews and their gates: the agent's judgement is checked, kept, and never acted on stale."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from artfarm.cli import main
from artfarm.demo import review_waiting_pages
from artfarm.documents.book import Book
from artfarm.pipeline.awaiting import AwaitingReview
from artfarm.pipeline.job_scripts import stage_main
from artfarm.pipeline.manifest import read_manifest
from artfarm.pipeline.pruned import record_pruned
from artfarm.pipeline.reviewing import load_review
from artfarm.pipeline.selection import refine_review_for, select_drafts
from artfarm.pipeline.todo import book_todo
from artfarm.problems import ArtfarmError
from tests.pipeline.fakes import fake_stage, paint


@pytest.fixture
def book(tiny_book: Path) -> Book:
    book = Book(tiny_book)
    fake_stage(book, 1, "draft", ["c01", "c02", "c03"])
    return book


def review(book: Book, *args: str) -> int:
    return main(["review", str(book.root), *args])


def keep_first_draft(book: Book) -> None:
    assert (
        review(
            book,
            "1",
            "draft",
            "--select",
            "c01",
            "--reject-rest",
            "not chosen",
            "--rationale",
            "fine staging",
        )
        == 0
    )


def test_a_draft_review_records_what_it_judged(book: Book) -> None:
    assert (
        review(
            book,
            "1",
            "draft",
            "--select",
            "c02",
            "--reject-rest",
            "weak staging",
            "--rationale",
            "clear focal point",
        )
        == 0
    )
    written = load_review(book, 1)
    assert written is not None and written.draft is not None
    assert written.draft.selected == ["c02"]
    assert written.draft.rejected == {"c01": "weak staging", "c03": "weak staging"}
    drafts = json.loads((book.page_dir(1) / "draft" / "manifest.json").read_text())
    assert written.draft.drafts_sha256 == drafts["images_sha256"]


def test_every_rejection_needs_a_reason(book: Book, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        review(
            book,
            "1",
            "draft",
            "--select",
            "c02",
            "--reject",
            "c01",
            "too dark",
            "--rationale",
            "fine staging",
        )
        == 1
    )
    assert "no reason given for rejecting c03" in capsys.readouterr().err
    assert not book.review_path(1).exists()


def test_a_too_short_rationale_is_a_clear_error(
    book: Book, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        review(
            book,
            "1",
            "draft",
            "--select",
            "c01",
            "--reject-rest",
            "not chosen",
            "--rationale",
            "ok",
        )
        == 1
    )
    err = capsys.readouterr().err
    assert "review.json: draft.rationale: String should have at least 3 characters" in err
    assert "Traceback" not in err


def test_selecting_a_candidate_that_does_not_exist(
    book: Book, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        review(
            book,
            "1",
            "draft",
            "--select",
            "c09",
            "--reject-rest",
            "not chosen",
            "--rationale",
            "fine staging",
        )
        == 1
    )
    assert "c09 is not a draft of this page" in capsys.readouterr().err


def test_the_gate_waits_for_a_review_and_names_the_command(book: Book) -> None:
    with pytest.raises(AwaitingReview) as caught:
        select_drafts(book, 1, "p")
    message = str(caught.value)
    assert "0001 waits for its draft review" in message
    assert "draft/contact_sheet.png" in message and "artfarm review" in message


def test_a_gate_job_waiting_for_its_review_exits_75_with_a_waiting_line(
    book: Book, tmp_path: Path
) -> None:
    """What the select rule runs (scripts/stage.py); 75 is EX_TEMPFAIL, as the README says."""
    log = tmp_path / "select.log"
    args = ["select", str(book.root), "1", "--params", "p", "--log", str(log)]
    assert stage_main(args) == 75
    [line] = log.read_text().splitlines()
    assert line.startswith("waiting: ") and "0001 waits for its draft review" in line


def test_each_gate_names_the_command_of_its_own_review(book: Book) -> None:
    keep_first_draft(book)  # a review with a draft section only: the final pick still waits
    variants = fake_stage(book, 1, "refine", ["c01-v1"], size=(128, 160))
    with pytest.raises(AwaitingReview) as caught:
        refine_review_for(book, 1, variants)
    [problem] = caught.value.problems
    assert "0001 waits for its refine review" in problem.problem
    assert "refine/contact_sheet.png" in problem.problem
    assert "refine --final cNN-vK --reject-rest REASON" in problem.fix
    book.review_path(1).unlink()
    with pytest.raises(AwaitingReview) as caught:
        select_drafts(book, 1, "p")
    assert "draft --select cNN [--select cNN] --reject-rest" in caught.value.problems[0].fix


def test_a_review_of_changed_drafts_is_stale_and_nothing_is_deleted(book: Book) -> None:
    review(
        book,
        "1",
        "draft",
        "--select",
        "c01",
        "--reject-rest",
        "weaker",
        "--rationale",
        "fine staging",
    )
    before = book.review_path(1).read_bytes()
    fake_stage(book, 1, "draft", ["c01", "c02", "c04"])  # the drafts were re-rendered
    with pytest.raises(ArtfarmError) as caught:
        select_drafts(book, 1, "p")
    assert "stale" in str(caught.value)
    assert book.review_path(1).read_bytes() == before
    assert [t.state for t in book_todo(book) if t.page == 1] == ["stale-draft-review"]


def test_a_final_pick_of_changed_variants_is_stale_and_the_gate_waits(book: Book) -> None:
    keep_first_draft(book)
    variants = fake_stage(book, 1, "refine", ["c01-v1", "c01-v2"], size=(128, 160))
    pick = ["1", "refine", "--final", "c01-v1", "--reject-rest", "stiff", "--rationale", "light"]
    assert review(book, *pick) == 0
    assert refine_review_for(book, 1, variants).final == "c01-v1"  # the fresh pick passes
    before = book.review_path(1).read_bytes()
    changed = fake_stage(book, 1, "refine", ["c01-v1", "c01-v3"], size=(128, 160))
    with pytest.raises(AwaitingReview) as caught:
        refine_review_for(book, 1, changed)
    [problem] = caught.value.problems
    assert problem.field == "refine.variants_sha256" and "is stale" in problem.problem
    judged, now = variants.images_sha256[:12], changed.images_sha256[:12]
    assert f"judged images {judged}…, they are now {now}…" in problem.problem
    assert "refine/contact_sheet.png" in problem.fix
    assert book.review_path(1).read_bytes() == before
    assert [t.state for t in book_todo(book) if t.page == 1] == ["stale-final-review"]


def test_selection_copies_the_chosen_drafts(book: Book) -> None:
    review(
        book,
        "1",
        "draft",
        "--select",
        "c03",
        "--select",
        "c01",
        "--reject",
        "c02",
        "blurry",
        "--rationale",
        "two good options",
    )
    manifest = select_drafts(book, 1, "p")
    selected = book.page_dir(1) / "selected"
    assert manifest == selected / "manifest.json" and manifest.is_file()
    assert sorted(p.name for p in selected.glob("*.png")) == ["c01.png", "c03.png"]
    assert (selected / "c03.png").read_bytes() == (book.page_dir(1) / "draft/c03.png").read_bytes()
    review(book, "1", "draft", "--select", "c03", "--reject-rest", "weaker", "--rationale", "one")
    select_drafts(book, 1, "p")
    assert sorted(p.name for p in selected.glob("*.png")) == ["c03.png"]  # c01 went with it


def test_replacing_a_review_keeps_the_old_one_in_history(book: Book) -> None:
    review(
        book, "1", "draft", "--select", "c01", "--reject-rest", "not chosen", "--rationale", "first"
    )
    review(
        book,
        "1",
        "draft",
        "--select",
        "c02",
        "--reject-rest",
        "not chosen",
        "--rationale",
        "second",
    )
    history = (book.page_dir(1) / "review.history.jsonl").read_text().splitlines()
    assert len(history) == 1 and '"first"' in json.loads(history[0])["text"]


def test_refine_review_checks_masks_inside_the_image(
    book: Book, capsys: pytest.CaptureFixture[str]
) -> None:
    keep_first_draft(book)
    fake_stage(book, 1, "refine", ["c01-v1", "c01-v2"], size=(128, 160))
    assert (
        review(
            book,
            "1",
            "refine",
            "--final",
            "c01-v2",
            "--reject-rest",
            "stiff",
            "--fix-box",
            "100",
            "100",
            "40",
            "40",
            "a smiling face",
            "--rationale",
            "best light",
        )
        == 1
    )
    assert "box reaches outside the image" in capsys.readouterr().err
    assert (
        review(
            book,
            "1",
            "refine",
            "--final",
            "c01-v2",
            "--reject-rest",
            "stiff",
            "--fix-polygon",
            "10,10 60,12 30,50",
            "a paw with four toes",
            "--rationale",
            "best light",
        )
        == 0
    )
    written = load_review(book, 1)
    assert written is not None and written.refine is not None
    assert written.refine.fixes[0].mask.kind == "polygon"
    assert written.draft is not None  # the draft section is kept as it was


def test_image_masks_must_match_the_variant_size(
    book: Book, capsys: pytest.CaptureFixture[str]
) -> None:
    keep_first_draft(book)
    fake_stage(book, 1, "refine", ["c01-v1"], size=(128, 160))
    paint(book.root / "masks" / "paw.png", 1, (64, 48))
    assert (
        review(
            book,
            "1",
            "refine",
            "--final",
            "c01-v1",
            "--fix-mask",
            "masks/paw.png",
            "a paw",
            "--rationale",
            "fine staging",
        )
        == 1
    )
    assert "mask is 64×48 (fix: make it 128×160" in capsys.readouterr().err
    assert (
        review(
            book,
            "1",
            "refine",
            "--final",
            "c01-v1",
            "--fix-mask",
            "../paw.png",
            "a paw",
            "--rationale",
            "fine staging",
        )
        == 1
    )
    assert "must not contain '..'" in capsys.readouterr().err


def test_auto_review_is_marked_automatic(book: Book) -> None:
    assert review(book, "1", "draft", "--auto") == 0
    written = load_review(book, 1)
    assert written is not None and written.draft is not None
    assert written.draft.automatic and written.draft.selected == ["c01"]
    assert "first draft in id order" in written.draft.rationale


def test_next_lists_what_waits_for_the_agent(
    book: Book, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["next", str(book.root), "--json"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    states = {r["page"]: r["state"] for r in records}
    assert states == {1: "awaiting-draft-review", 2: "needs-drafts", 3: "needs-drafts"}
    first = next(r for r in records if r["page"] == 1)
    assert first["files"][0].endswith("0001/draft/contact_sheet.png")
    assert "artfarm review" in first["command"]


def test_a_page_that_is_not_a_number_is_a_clear_error(
    book: Book, capsys: pytest.CaptureFixture[str]
) -> None:
    assert review(book, "seven", "draft", "--auto") == 1
    assert "seven: page: not a page number" in capsys.readouterr().err


def test_the_demo_reviewer_never_replaces_an_agents_review(book: Book) -> None:
    keep_first_draft(book)  # an agent's review, not automatic
    fake_stage(book, 1, "draft", ["c01", "c02", "c05"])  # ...now stale
    fake_stage(book, 2, "draft", ["c01", "c02"])  # waits for a review
    agent_text = book.review_path(1).read_text()
    assert review_waiting_pages(book) == 1
    assert book.review_path(1).read_text() == agent_text
    written = load_review(book, 2)
    assert written is not None and written.draft is not None and written.draft.automatic


def pick(book: Book, final: str) -> int:
    return review(book, "1", "refine", "--final", final, "--reject-rest", "stiff",
                  "--rationale", "best light")  # fmt: skip


def test_a_final_pick_needs_a_draft_review_and_one_of_the_variants(
    book: Book, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_stage(book, 1, "refine", ["c01-v1", "c01-v2"], size=(128, 160))
    assert pick(book, "c01-v1") == 1  # no draft review yet
    assert "draft" in capsys.readouterr().err
    keep_first_draft(book)
    assert pick(book, "c09-v9") == 1
    assert "c09-v9 is not a variant of this page" in capsys.readouterr().err
    assert pick(book, "c01-v2") == 0
    written = load_review(book, 1)
    assert written is not None and written.refine is not None
    assert written.refine.final == "c01-v2" and not written.refine.automatic


def test_a_new_draft_selection_drops_the_final_pick_and_the_same_one_keeps_it(book: Book) -> None:
    keep_first_draft(book)
    fake_stage(book, 1, "refine", ["c01-v1"], size=(128, 160))
    assert pick(book, "c01-v1") == 0
    keep_first_draft(book)  # the same selection, reviewed again
    again = load_review(book, 1)
    assert again is not None and again.refine is not None and again.refine.final == "c01-v1"
    review(book, "1", "draft", "--select", "c02", "--reject-rest", "weaker", "--rationale", "new")
    changed = load_review(book, 1)
    assert changed is not None and changed.refine is None  # its variants are of another draft


def test_the_automatic_final_pick_is_the_first_variant_and_marked_automatic(book: Book) -> None:
    keep_first_draft(book)
    fake_stage(book, 1, "refine", ["c01-v1", "c01-v2"], size=(128, 160))
    assert review(book, "1", "refine", "--auto") == 0
    written = load_review(book, 1)
    assert written is not None and written.refine is not None
    assert written.refine.final == "c01-v1" and written.refine.automatic
    assert written.refine.rejected == {"c01-v2": "not chosen by the automatic rule"}
    assert "first variant in id order" in written.refine.rationale
    assert "null" not in book.review_path(1).read_text()  # unset fields are left out


def test_a_review_json_of_another_page_is_refused_naming_the_page(book: Book) -> None:
    keep_first_draft(book)
    other = book.page_dir(2) / "review.json"
    other.write_bytes(book.review_path(1).read_bytes())  # copied into the wrong page folder
    with pytest.raises(ArtfarmError) as caught:
        load_review(book, 2)
    [problem] = caught.value.problems
    assert problem.file == str(other) and problem.field == "page"


def test_masks_may_reach_the_image_edge_but_not_past_it(
    book: Book, capsys: pytest.CaptureFixture[str]
) -> None:
    keep_first_draft(book)
    fake_stage(book, 1, "refine", ["c01-v1"], size=(128, 160))

    def fix(*mask: str) -> int:
        return review(book, "1", "refine", "--final", "c01-v1", *mask, "a paw",
                      "--rationale", "best light")  # fmt: skip

    assert fix("--fix-box", "88", "120", "40", "40") == 0  # touches the right and bottom edges
    assert fix("--fix-box", "89", "120", "40", "40") == 1
    assert fix("--fix-box", "88", "121", "40", "40") == 1
    assert fix("--fix-polygon", "0,0 128,0 128,160") == 0  # corners are inside
    assert fix("--fix-polygon", "0,0 129,0 128,160") == 1
    assert fix("--fix-polygon", "0,0 128,0 128,161") == 1
    assert fix("--fix-mask", "masks/none-such.png") == 1  # a mask image that is not there
    said = capsys.readouterr().err
    assert "mask.path: 'masks/none-such.png'" in said and "does not exist" in said


def prune(book: Book, stage: str, image_id: str) -> None:
    folder = book.page_dir(1) / stage
    manifest = read_manifest(folder)
    gone = [o for o in manifest.outputs if o.id == image_id]
    record_pruned(folder, manifest, gone)  # as `artfarm prune`: the record, then the file
    (folder / gone[0].file).unlink()


def test_a_pruned_pick_is_refused_by_the_gate_naming_the_field_that_picks_it(book: Book) -> None:
    keep_first_draft(book)
    prune(book, "draft", "c01")
    with pytest.raises(ArtfarmError) as caught:
        select_drafts(book, 1, "p")
    [problem] = caught.value.problems
    assert problem.field == "draft.selected[0]" and "c01 was pruned" in problem.problem
    variants = fake_stage(book, 1, "refine", ["c01-v1", "c01-v2"], size=(128, 160))
    pick = ["1", "refine", "--final", "c01-v2", "--reject-rest", "stiff", "--rationale", "light"]
    assert review(book, *pick) == 0
    prune(book, "refine", "c01-v2")
    with pytest.raises(ArtfarmError) as caught:
        refine_review_for(book, 1, variants)
    [problem] = caught.value.problems
    assert problem.field == "refine.final" and "c01-v2 was pruned" in problem.problem


def test_a_written_review_says_whole_seconds_and_leaves_out_what_it_does_not_judge(
    book: Book,
) -> None:
    keep_first_draft(book)
    text = book.review_path(1).read_text()
    written = json.loads(text)
    assert "refine" not in written and "null" not in text  # no refine section yet: absent
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", written["draft"]["reviewed_at"])
