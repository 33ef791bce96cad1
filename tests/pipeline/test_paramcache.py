"""DAG param values remembered across runs (artfarm.pipeline.paramcache): reused while every
file they were computed from is unchanged, computed again after any edit of one, and never
different from what a run without the cache (ARTFARM_PARAM_CACHE=off) computes."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from artfarm.documents.book import Book
from artfarm.pipeline import dagparams, filereads, paramcache
from artfarm.rendering import compiler
from artfarm.rendering.modelstore import ModelStore, lock_book, write_placeholders
from tests.bookmaker import edit_spec, make_project, picture
from tests.pipeline.project import BOOK, write_config

PAGE = SimpleNamespace(book="tiny_01", page="0001")
OLD_NS = 1_600_000_000 * 10**9  # a fixed past date for "touch" (tests never read the clock)
FUTURE_NS = 4_000_000_000 * 10**9  # a date no test run reaches: always "just changed"


@pytest.fixture
def book(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Book:
    """The tiny book; files count as settled at once (no 2 s racy window in these tests)."""
    root = make_project(tmp_path / "project")
    write_config(root, "http://127.0.0.1:1", root / "models")
    book = Book(root / BOOK)
    store = ModelStore(root / "models")
    write_placeholders(book, store)
    lock_book(book, store)
    monkeypatch.chdir(root)
    monkeypatch.setenv("ARTFARM_CONFIG", str(root / "config" / "config.yaml"))
    monkeypatch.delenv(paramcache.SWITCH, raising=False)
    monkeypatch.setattr(filereads, "RACY_NS", 0)
    paramcache.forget()
    yield book
    paramcache.forget()


@pytest.fixture
def compiles(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The stages dagparams compiled (a cache hit compiles nothing)."""
    seen: list[str] = []
    real = compiler.compile_stage

    def counting(book, page, stage, **kwargs):
        seen.append(f"{page}:{stage}")
        return real(book, page, stage, **kwargs)

    monkeypatch.setattr(compiler, "compile_stage", counting)
    return seen


def new_run(compute: Callable = dagparams.draft_request, wildcards=PAGE) -> str:
    """The value a new Snakemake process gets: the cache file read, then written at exit."""
    paramcache.forget()
    dagparams.open_book.cache_clear()
    value = compute(wildcards)
    paramcache.write_all()
    return value


def uncached(monkeypatch: pytest.MonkeyPatch, compute=dagparams.draft_request, wildcards=PAGE):
    with monkeypatch.context() as m:
        m.setenv(paramcache.SWITCH, "off")
        dagparams.open_book.cache_clear()
        return compute(wildcards)


def cache_file(book: Book) -> Path:
    return book.root / paramcache.CACHE_FILE


def test_a_second_run_reuses_every_value_without_compiling(book: Book, compiles) -> None:
    first = new_run()
    refs = dagparams.page_reference_paths("tiny_01", 1)
    assert compiles == ["1:draft"]
    assert new_run() == first
    assert dagparams.page_reference_paths("tiny_01", 1) == refs
    assert compiles == ["1:draft"]
    paramcache.write_all()
    stored = json.loads(cache_file(book).read_text())
    assert set(stored["values"]) == {"draft_request:0001", "page_reference_paths:0001"}


def test_values_are_kept_per_page_and_per_param(book: Book, compiles) -> None:
    one, two = new_run(), new_run(wildcards=SimpleNamespace(book="tiny_01", page="0002"))
    thumb = new_run(dagparams.thumb_request)
    assert len({one, two, thumb}) == 3
    assert new_run() == one and new_run(dagparams.thumb_request) == thumb
    assert sorted(compiles) == ["1:draft", "1:thumb", "2:draft"]


def _spec(book: Book) -> None:
    edit_spec(book.root, 1, scene="a bear reads under a lamp")


def _bible_words(book: Book) -> None:
    path = book.characters_path
    path.write_text(path.read_text().replace("red knitted scarf", "green knitted scarf"))


def _sheet_bytes(book: Book) -> None:
    picture(book.root / "bible" / "character_refs" / "bear.png", "black")


def _style_ref_bytes(book: Book) -> None:
    picture(book.root / "bible" / "style_refs" / "style_01.png", "pink")


def _style_pack(book: Book) -> None:
    path = book.root.parent.parent / "style_packs" / "watercolor_whimsy_v1" / "positive.j2"
    path.write_text(path.read_text() + " soft edges")


def _template_override_added(book: Book) -> None:
    pack = book.root.parent.parent / "style_packs" / "watercolor_whimsy_v1"
    (book.root / "prompt_templates").mkdir()
    text = (pack / "positive.j2").read_text()
    (book.root / "prompt_templates" / "positive.j2").write_text("storybook, " + text)


def _book_config(book: Book) -> None:
    data = yaml.safe_load(book.config_path.read_text())
    data["sizes"].update(draft_width=128, draft_height=160)
    book.config_path.write_text(yaml.safe_dump(data))


def _layout(book: Book) -> None:
    data = yaml.safe_load(book.layout_path.read_text())
    data["pages"][0]["spread"] = True
    book.layout_path.write_text(yaml.safe_dump(data))


def _model_lock(book: Book) -> None:
    path = book.root / "models.lock.json"
    lock = json.loads(path.read_text())
    key = next(k for k in lock["models"] if "draft" in k)
    lock["models"][key] = "0" * 64
    path.write_text(json.dumps(lock))


def _model_file(book: Book) -> None:
    path = next((book.root.parent.parent / "models" / "checkpoints").glob("sketch_draft*"))
    path.write_bytes(path.read_bytes() + b"changed")


def _settings(book: Book) -> None:
    root = book.root.parent.parent
    shutil.copytree(root / "models", root / "models2")
    write_config(root, "http://127.0.0.1:1", root / "models2")
    (root / "models2" / "checkpoints" / "sketch_draft_v1.safetensors").unlink()


EDITS = [
    _spec,
    _bible_words,
    _sheet_bytes,
    _style_ref_bytes,
    _style_pack,
    _template_override_added,
    _book_config,
    _layout,
    _model_lock,
    _model_file,
    _settings,
]


@pytest.mark.parametrize("edit", EDITS, ids=lambda e: e.__name__.strip("_"))
def test_every_kind_of_input_edit_computes_the_value_again(
    book: Book, monkeypatch: pytest.MonkeyPatch, edit
) -> None:
    before = new_run()
    assert new_run() == before  # stored, and reused
    edit(book)
    after = new_run()
    assert after == uncached(monkeypatch)
    assert after != before


def references(wildcards) -> list[str]:
    return dagparams.page_reference_paths(wildcards.book, int(wildcards.page))


def test_a_sheet_named_in_the_bible_changes_the_page_reference_inputs(
    book: Book, monkeypatch: pytest.MonkeyPatch
) -> None:
    edit_spec(book.root, 1, refs={"characters": {}, "style": []})
    before = new_run(references)
    assert new_run(references) == before == ["books/tiny_01/bible/character_refs/bear.png"]
    data = yaml.safe_load(book.characters_path.read_text())
    data["characters"][0]["sheets"] = ["bible/character_refs/fox.png"]
    book.characters_path.write_text(yaml.safe_dump(data))
    after = new_run(references)
    assert (
        after == uncached(monkeypatch, references) == ["books/tiny_01/bible/character_refs/fox.png"]
    )


def test_one_process_sees_an_edit_between_two_lookups(book: Book, compiles) -> None:
    dagparams.open_book.cache_clear()
    first = dagparams.draft_request(PAGE)
    assert dagparams.draft_request(PAGE) == first and compiles == ["1:draft"]
    _spec(book)
    assert dagparams.draft_request(PAGE) != first


def test_while_snakemake_builds_its_dag_each_file_is_looked_at_once(
    book: Book, compiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every page's values share most files, and each is looked at once while the view holds
    (Snakemake's own IO cache is on); an edit then is seen once it stops holding."""
    two = SimpleNamespace(book="tiny_01", page="0002")
    first, second = new_run(), new_run(wildcards=two)
    paramcache.forget()
    dagparams.open_book.cache_clear()
    looked: list[str] = []
    real = filereads.current
    monkeypatch.setattr(filereads, "current", lambda key: looked.append(key) or real(key))
    building = [True]
    paramcache.one_look_per_file(lambda: building[0])
    assert dagparams.draft_request(PAGE) == first and dagparams.draft_request(two) == second
    cache = paramcache.book_cache(book.root)
    deps = {k for name in cache.values for k, _ in cache.values[name][1]}
    assert sorted(looked) == sorted(deps)  # each file of both values once, shared ones too
    assert compiles == ["1:draft", "2:draft"]  # only the first two runs computed
    _spec(book)
    assert dagparams.draft_request(PAGE) == first  # looked at already while the view holds
    building[0] = False  # Snakemake turned its IO cache off: jobs may write files now
    edited = dagparams.draft_request(PAGE)
    assert edited != first and compiles[-1] == "1:draft"
    building[0] = True  # a view, once ended, stays off
    edit_spec(book.root, 1, scene="a bear sleeps under a lamp")
    assert dagparams.draft_request(PAGE) not in (first, edited)


def test_one_book_has_one_cache_per_process_however_its_place_is_spelled(
    book: Book, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = paramcache.book_cache(f"books/{book.root.name}")
    assert paramcache.book_cache(Path("books") / book.root.name) is cache
    assert paramcache.book_cache(book.root) is cache
    assert paramcache.book_cache(f"./books/{book.root.name}") is cache
    other = tmp_path / "elsewhere"
    (other / "books" / book.root.name).mkdir(parents=True)
    monkeypatch.chdir(other)  # the same words, another project: its own cache
    assert paramcache.book_cache(f"books/{book.root.name}").path.parents[1] == (
        other / "books" / book.root.name
    )


def test_touching_every_file_changes_no_value(book: Book) -> None:
    before = new_run()
    for path in book.root.parent.parent.rglob("*"):
        os.utime(path, ns=(OLD_NS, OLD_NS))
    assert new_run() == before


def test_a_touched_file_is_looked_at_again(book: Book, compiles) -> None:
    new_run()
    os.utime(book.spec_path(1), ns=(OLD_NS, OLD_NS))
    new_run()
    assert compiles == ["1:draft", "1:draft"]


def test_an_invalid_value_is_never_stored(book: Book, compiles) -> None:
    edit_spec(book.root, 1, page=7)
    assert new_run().startswith("invalid:")
    assert new_run().startswith("invalid:")
    assert compiles == ["1:draft", "1:draft"]  # computed (and failed) in each run
    assert not cache_file(book).exists()


def test_a_corrupt_or_foreign_cache_file_is_ignored(book: Book, compiles) -> None:
    first = new_run()
    cache_file(book).write_text("{not json")
    assert new_run() == first
    data = json.loads(cache_file(book).read_text())
    data["context"]["code"] = "another version of artfarm"
    cache_file(book).write_text(json.dumps(data))
    assert new_run() == first
    data = json.loads(cache_file(book).read_text())
    data["values"]["draft_request:0001"][1] = [999]  # a file index that does not exist
    cache_file(book).write_text(json.dumps(data))
    assert new_run() == first
    assert compiles == ["1:draft"] * 4


def test_a_copied_books_cache_is_not_used_for_the_copy(book: Book, compiles) -> None:
    new_run()
    shutil.copytree(book.root, book.root.parent / "copy_01")
    edit_spec(book.root.parent / "copy_01", 1, scene="a bear reads under a lamp")
    copy = SimpleNamespace(book="copy_01", page="0001")
    assert new_run(wildcards=copy) != new_run()
    assert compiles == ["1:draft", "1:draft"]


@pytest.mark.parametrize("part", ["cwd", "env"])
def test_a_value_from_another_folder_or_environment_is_not_reused(
    book: Book, monkeypatch: pytest.MonkeyPatch, compiles, part: str
) -> None:
    new_run()
    stored = paramcache.ParamCache(cache_file(book))
    assert stored.values
    if part == "cwd":
        monkeypatch.chdir(book.root)
    else:
        monkeypatch.setenv("ARTFARM_TIER_ORDER", "off")
    assert paramcache.ParamCache(cache_file(book)).values == {}


def test_a_secret_in_an_artfarm_variable_is_never_written_to_the_cache(
    book: Book, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARTFARM_TEST_COMFY_KEY", "k3y-never-on-disk")
    new_run()
    assert b"k3y-never-on-disk" not in cache_file(book).read_bytes()
    assert paramcache.ParamCache(cache_file(book)).values
    monkeypatch.setenv("ARTFARM_TEST_COMFY_KEY", "another-key")
    assert paramcache.ParamCache(cache_file(book)).values == {}


def test_the_cache_switch_itself_is_no_part_of_the_context(
    book: Book, monkeypatch: pytest.MonkeyPatch
) -> None:
    new_run()
    monkeypatch.setenv(paramcache.SWITCH, "on")
    assert paramcache.ParamCache(cache_file(book)).values


def test_the_code_version_follows_artfarm_sources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pkg").mkdir()
    source = tmp_path / "pkg" / "compiler.py"
    source.write_text("X = 1\n")
    monkeypatch.setattr(paramcache, "PACKAGE", tmp_path / "pkg")
    paramcache.code_version.cache_clear()
    first = paramcache.code_version()
    source.write_text("X = 22\n")
    paramcache.code_version.cache_clear()
    second = paramcache.code_version()
    (tmp_path / "pkg" / "new.py").write_text("")
    paramcache.code_version.cache_clear()
    third = paramcache.code_version()
    paramcache.code_version.cache_clear()
    assert len({first, second, third}) == 3


def test_the_code_version_follows_the_installed_packages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An upgraded package (pydantic, Pillow…) may change a value: its dist-info name changes."""
    site = tmp_path / "site-packages"
    (site / "pillow-11.0.dist-info").mkdir(parents=True)
    monkeypatch.setattr(paramcache.sysconfig, "get_paths", lambda: {"purelib": str(site)})
    paramcache.code_version.cache_clear()
    before = paramcache.code_version()
    (site / "pillow-11.0.dist-info").rename(site / "pillow-12.0.dist-info")
    paramcache.code_version.cache_clear()
    after = paramcache.code_version()
    paramcache.code_version.cache_clear()
    assert before != after


def test_two_runs_writing_at_once_keep_both_values(book: Book) -> None:
    path = cache_file(book)
    one, two = paramcache.ParamCache(path), paramcache.ParamCache(path)
    one.get("a", lambda: "value a")
    two.get("b", lambda: "value b")
    one.write()
    two.write()
    merged = paramcache.ParamCache(path)
    assert merged.get("a", lambda: "computed") == "value a"
    assert merged.get("b", lambda: "computed") == "value b"


def test_a_value_whose_computation_wrote_a_file_is_not_stored(book: Book, tmp_path: Path) -> None:
    cache = paramcache.ParamCache(cache_file(book))

    def writes() -> str:
        (tmp_path / "scratch.txt").write_text("x")
        return "v"

    assert cache.get("w", writes) == "v"
    assert "w" not in cache.values and not cache.dirty


def test_a_file_changed_just_before_it_was_read_is_not_trusted(
    book: Book, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two writes in one clock tick keep size and times: a fresh file's version proves nothing."""
    monkeypatch.setattr(filereads, "RACY_NS", 10**18)
    cache = paramcache.ParamCache(cache_file(book))
    assert cache.get("spec", lambda: book.spec_path(1).read_text())
    assert "spec" not in cache.values


def test_a_missing_file_that_appears_is_seen(book: Book, tmp_path: Path) -> None:
    cache = paramcache.ParamCache(cache_file(book))
    flag = tmp_path / "flag"
    assert cache.get("f", flag.exists) is False
    flag.write_text("")
    assert cache.get("f", flag.exists) is True


def test_a_file_added_to_a_listed_folder_is_seen(book: Book, tmp_path: Path) -> None:
    cache = paramcache.ParamCache(cache_file(book))
    assert cache.get("n", lambda: len(os.listdir(tmp_path))) == len(os.listdir(tmp_path))
    (tmp_path / "another").write_text("")
    assert cache.get("n", lambda: len(os.listdir(tmp_path))) == len(os.listdir(tmp_path))


def test_a_value_records_the_same_files_after_other_pages(book: Book) -> None:
    """Memos hide reads (bible, config, style pack, layout): a value computed after other
    pages must still depend on every file a value computed first does."""

    def files(warm: bool) -> set[str]:
        paramcache.forget()
        dagparams.open_book.cache_clear()
        if warm:
            for page in ("0002", "0003"):
                dagparams.draft_request(SimpleNamespace(book="tiny_01", page=page))
        dagparams.draft_request(PAGE)
        cache = paramcache.book_cache(dagparams.open_book("tiny_01").root)
        deps = cache.values["draft_request:0001"][1]
        return {key.partition(":")[2] for key, version in deps if version[0] == "file"}

    cold = files(warm=False)
    assert {"characters.yaml", "book_config.yaml", "book.yaml", "models.lock.json"} <= {
        Path(p).name for p in cold
    }
    assert cold <= files(warm=True)


def test_a_changed_inode_time_alone_is_a_change(book: Book, compiles) -> None:
    """ctime cannot be set back: a file replaced with `cp -p` keeps its mtime, not its ctime."""
    new_run()
    os.chmod(book.spec_path(1), 0o600)
    new_run()
    assert compiles == ["1:draft", "1:draft"]


def test_the_quick_check_agrees_with_the_versions(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    (tmp_path / "d").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "f")
    keys = [
        f"{kind}:{tmp_path / name}"
        for kind in ("stat", "lstat", "list")
        for name in ("f", "d", "link", "missing")
    ]
    before = {key: filereads.current(key) for key in keys}
    assert all(filereads.unchanged(key, version) for key, version in before.items())
    (tmp_path / "f").write_text("xy")
    (tmp_path / "d" / "new").write_text("")
    (tmp_path / "missing").mkdir()
    changed = {key for key, version in before.items() if not filereads.unchanged(key, version)}
    assert changed == {key for key, version in before.items() if filereads.current(key) != version}
    assert changed == {
        f"stat:{tmp_path / 'f'}",
        f"lstat:{tmp_path / 'f'}",
        f"stat:{tmp_path / 'link'}",
        f"list:{tmp_path / 'd'}",
        f"stat:{tmp_path / 'missing'}",
        f"lstat:{tmp_path / 'missing'}",
        f"list:{tmp_path / 'missing'}",
    }


def test_a_file_or_folder_removed_since_is_a_change(book: Book, tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    (tmp_path / "d").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "f")
    keys = [f"{kind}:{tmp_path / name}" for kind in ("stat", "lstat") for name in ("f", "d")]
    before = {key: filereads.current(key) for key in keys}
    (tmp_path / "f").unlink()
    (tmp_path / "d").rmdir()
    assert not any(filereads.unchanged(key, version) for key, version in before.items())
    assert not filereads.unchanged(f"stat:{tmp_path / 'link'}", before[f"stat:{tmp_path / 'f'}"])
    cache = paramcache.ParamCache(cache_file(book))
    spec = book.spec_path(1)
    assert cache.get("spec", spec.read_text) == spec.read_text()
    spec.unlink()  # a value from a file that is gone is computed again, never served
    assert cache.get("spec", lambda: "computed again") == "computed again"


def test_a_snakemake_process_leaves_its_values_on_disk_when_it_exits(
    book: Book, tmp_path: Path
) -> None:
    """No code asks for the write: the first cache a process opens registers it for exit."""
    script = tmp_path / "ask.py"
    script.write_text(
        "from types import SimpleNamespace\n"
        "from artfarm.pipeline import dagparams, filereads\n"
        "filereads.RACY_NS = 0  # as in this file's fixture: the files were just made\n"
        "print(dagparams.draft_request(SimpleNamespace(book='tiny_01', page='0001')))\n"
    )
    done = subprocess.run([sys.executable, script], capture_output=True, text=True, check=True)
    value = done.stdout.strip()
    assert " request:" in value
    stored = paramcache.ParamCache(cache_file(book))
    assert stored.get("draft_request:0001", lambda: "computed here") == value


def test_a_memo_computed_from_a_just_written_file_makes_its_users_uncacheable(
    tmp_path: Path,
) -> None:
    """A memo's recording is replayed into every value that uses it, its doubt included."""
    fresh = tmp_path / "spec.json"
    fresh.write_text("{}")
    os.utime(fresh, ns=(FUTURE_NS, FUTURE_NS))  # changed "within the racy window": not trusted
    with filereads.recording() as memo:
        fresh.read_text()
    assert memo.uncacheable is not None
    with filereads.recording() as value:
        filereads.replay(memo)
    assert value.uncacheable == memo.uncacheable
    with filereads.recording() as outer, filereads.recording():
        fresh.read_text()
    assert outer.uncacheable is not None


def test_a_stat_of_a_file_descriptor_makes_the_value_uncacheable(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("a")
    fd = os.open(tmp_path / "a.txt", os.O_RDONLY)
    try:
        with filereads.recording() as reads:
            os.stat(fd)
    finally:
        os.close(fd)
    assert reads.uncacheable == "stat of a file descriptor"


def test_another_threads_reads_are_not_this_recordings(tmp_path: Path) -> None:
    """Snakemake may look at files from other threads meanwhile; only this thread's count."""
    other = tmp_path / "other.txt"
    other.write_text("x")
    with filereads.recording() as memo:
        other.read_text()
    with filereads.recording() as reads:
        worker = threading.Thread(target=lambda: (other.read_text(), filereads.replay(memo)))
        worker.start()
        worker.join()
    assert reads.deps == {} and reads.uncacheable is None


def test_a_file_only_opened_is_a_dependency(tmp_path: Path) -> None:
    """open() is seen through the audit hook, not only os.stat."""
    (tmp_path / "words.txt").write_text("fox")
    with filereads.recording() as reads, open(tmp_path / "words.txt", encoding="utf-8") as fh:
        fh.read()
    assert f"stat:{tmp_path / 'words.txt'}" in reads.deps


def test_a_recorded_stat_follows_symlinks_as_os_stat_does(tmp_path: Path) -> None:
    (tmp_path / "target.txt").write_text("a longer text than the link's own name")
    (tmp_path / "link.txt").symlink_to("target.txt")
    with filereads.recording() as reads:
        size = os.stat(tmp_path / "link.txt").st_size
    assert size == (tmp_path / "target.txt").stat().st_size
    assert reads.deps[f"stat:{tmp_path / 'link.txt'}"][3] == size


def test_a_stat_relative_to_a_folder_descriptor_makes_the_value_uncacheable(
    tmp_path: Path,
) -> None:
    (tmp_path / "a.txt").write_text("a")
    folder = os.open(tmp_path, os.O_RDONLY)
    try:
        with filereads.recording() as reads:
            os.stat("a.txt", dir_fd=folder)
    finally:
        os.close(folder)
    assert reads.uncacheable == "a stat relative to a folder descriptor"


def test_a_file_opened_through_a_symlink_is_recorded_as_it_is_checked_later(
    tmp_path: Path,
) -> None:
    """The version recorded at open() is the one `current` computes: the value stays reusable."""
    (tmp_path / "target.txt").write_text("words")
    (tmp_path / "link.txt").symlink_to("target.txt")
    with filereads.recording() as reads:
        (tmp_path / "link.txt").read_text()
    key = f"stat:{tmp_path / 'link.txt'}"
    assert reads.deps[key] == filereads.current(key)
    assert reads.deps[key][3] == len("words")


def test_a_path_that_cannot_be_looked_at_has_its_error_as_version(tmp_path: Path) -> None:
    """A symlink loop is neither a file nor missing: its version is the error, compared later."""
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    loop = str(tmp_path / "a")
    assert filereads.current(f"stat:{loop}") == ("error", errno.ELOOP)
    assert filereads.current(f"list:{loop}") == ("error", errno.ELOOP)
    gone = str(tmp_path / "gone")
    assert filereads.current(f"stat:{gone}") == filereads.current(f"list:{gone}") == ("missing",)


def test_a_read_through_a_file_descriptor_makes_the_value_uncacheable(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("a")
    fd = os.open(tmp_path / "a.txt", os.O_RDONLY)
    with filereads.recording() as reads, open(fd, encoding="utf-8") as fh:
        fh.read()
    assert reads.uncacheable == "a read of a file descriptor"


def test_an_lstat_sees_the_link_and_a_stat_its_target(tmp_path: Path) -> None:
    (tmp_path / "target.txt").write_text("a longer text than the link's own name")
    (tmp_path / "link.txt").symlink_to("target.txt")
    link = tmp_path / "link.txt"
    with filereads.recording() as reads:
        os.lstat(link)
    assert reads.deps[f"lstat:{link}"] == filereads.current(f"lstat:{link}")
    assert filereads.current(f"lstat:{link}") != filereads.current(f"stat:{link}")
    assert reads.deps[f"lstat:{link}"][3] == len("target.txt")


def test_a_file_dated_in_the_future_is_not_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tarball from a clock ahead of ours: its mtime proves nothing yet (ctime is ours)."""
    monkeypatch.setattr(filereads, "RACY_NS", 0)
    (tmp_path / "spec.json").write_text("{}")
    os.utime(tmp_path / "spec.json", ns=(FUTURE_NS, FUTURE_NS))
    with filereads.recording() as reads:
        (tmp_path / "spec.json").read_text()
    assert reads.uncacheable is not None


def test_a_listing_of_the_working_folder_or_a_descriptor_is_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with filereads.recording() as reads:
        os.listdir()
    assert f"list:{tmp_path}" in reads.deps and reads.uncacheable is None
    folder = os.open(tmp_path, os.O_RDONLY)
    try:
        with filereads.recording() as reads:
            os.listdir(folder)
    finally:
        os.close(folder)
    assert reads.uncacheable == "a listing of a folder descriptor"


@pytest.mark.parametrize("act", ["remove", "subprocess"])
def test_a_computation_that_acts_is_not_stored(tmp_path: Path, act: str) -> None:
    (tmp_path / "old.txt").write_text("x")
    with filereads.recording() as reads:
        if act == "remove":
            os.remove(tmp_path / "old.txt")
        else:
            subprocess.run([sys.executable, "-c", "pass"], check=True)
    assert reads.uncacheable is not None and "the computation did" in reads.uncacheable
