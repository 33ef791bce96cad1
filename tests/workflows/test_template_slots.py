"""A template that lost, duplicated or retyped a slot fails with its file and the slot title."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PIL import Image

from artfarm.problems import ArtfarmError
from artfarm.rendering.compiler import compile_stage
from artfarm.rendering.workflow import WORKFLOWS_DIR, load_template
from tests.bookfactory import make_book, make_store
from tests.workflows.objectinfo_patch import recorded


def edited_workflows(tmp_path: Path, name: str, edit) -> Path:
    folder = tmp_path / "workflows"
    shutil.copytree(WORKFLOWS_DIR, folder)
    graph = json.loads((folder / f"{name}.json").read_text())
    edit(graph)
    (folder / f"{name}.json").write_text(json.dumps(graph))
    return folder


def node(graph, title):
    return next(n for n in graph.values() if n.get("_meta", {}).get("title") == title)


def compile_draft(tmp_path, folder, template=None):
    book = make_book(tmp_path)
    store = make_store(tmp_path, book)
    return compile_stage(book, 1, "draft", store=store, workflows_dir=folder, template=template)


def problems_of(excinfo) -> list[tuple[str, str, str]]:
    return [(Path(p.file).name, p.field, p.problem) for p in excinfo.value.problems]


def test_a_template_that_lost_a_slot_title_names_the_file_and_the_title(tmp_path):
    folder = edited_workflows(
        tmp_path, "draft", lambda g: node(g, "latent")["_meta"].update(title="Empty Latent Image")
    )
    with pytest.raises(ArtfarmError) as err:
        compile_draft(tmp_path, folder)
    [(file, field, problem)] = problems_of(err)
    assert (file, field) == ("draft.json", "latent")
    assert "no node titled 'latent'" in problem


def test_two_nodes_with_the_same_slot_title_are_refused(tmp_path):
    folder = edited_workflows(
        tmp_path, "draft", lambda g: node(g, "negative")["_meta"].update(title="positive")
    )
    with pytest.raises(ArtfarmError) as err:
        load_template("draft", folder)
    [(file, field, problem)] = problems_of(err)
    assert (file, field) == ("draft.json", "positive") and "on 2 nodes" in problem


def test_a_slot_value_of_the_wrong_type_is_refused(tmp_path):
    folder = edited_workflows(
        tmp_path, "draft", lambda g: node(g, "latent")["inputs"].update(width="768")
    )
    with pytest.raises(ArtfarmError) as err:
        compile_draft(tmp_path, folder)
    [(file, field, problem)] = problems_of(err)
    assert (file, field) == ("draft.json", "latent.width")
    assert "expects a STRING" in problem and "got INT" in problem


def test_a_slot_input_turned_into_a_link_is_refused(tmp_path):
    def link_seed(g):
        g["99"] = {"class_type": "PrimitiveInt", "inputs": {"value": 1}}
        node(g, "sampler")["inputs"]["seed"] = ["99", 0]

    folder = edited_workflows(tmp_path, "draft", link_seed)
    with pytest.raises(ArtfarmError) as err:
        compile_draft(tmp_path, folder)
    assert problems_of(err)[0][1] == "sampler.seed"


def test_an_extra_slot_the_stage_does_not_fill_is_refused(tmp_path):
    def add_slot(g):
        g["50"] = {"class_type": "ImageBlur", "inputs": {}, "_meta": {"title": "blur"}}

    folder = edited_workflows(tmp_path, "draft", add_slot)
    with pytest.raises(ArtfarmError) as err:
        compile_draft(tmp_path, folder)
    assert problems_of(err)[0][:2] == ("draft.json", "blur")


def test_default_comfyui_titles_are_not_slots(tmp_path):
    template = load_template("refine")
    assert "VAE Decode" not in template.slots()
    assert {"checkpoint", "positive", "negative", "sampler", "init_image", "save"} <= set(
        template.slots()
    )


def test_a_node_the_server_lacks_names_its_custom_node_pack(tmp_path):
    book = make_book(tmp_path)
    store = make_store(tmp_path, book)
    ref = book.root / "bible" / "style.png"
    Image.new("RGB", (32, 32)).save(ref)
    from tests.bookfactory import write_spec

    write_spec(book, 1, refs={"style": ["bible/style.png"]})
    job = compile_stage(book, 1, "draft", store=store, template="variants/draft_ipadapter")
    assert job.inputs["style_ref"] == ref.resolve()
    with pytest.raises(ArtfarmError) as err:
        job.check(recorded())
    problems = err.value.problems
    assert {p.field for p in problems} == {"IPAdapterAdvanced", "IPAdapterUnifiedLoader"}
    assert all("ComfyUI_IPAdapter_plus" in p.fix for p in problems)


def test_default_templates_use_only_core_nodes_of_the_recorded_server():
    info = recorded()
    for path in WORKFLOWS_DIR.glob("*.json"):
        graph = json.loads(path.read_text())
        assert {n["class_type"] for n in graph.values()} <= set(info), path.name
