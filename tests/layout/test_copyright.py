"""The copyright page lists the models book_config.yaml pins, with their declared licences."""

import yaml
from pypdf import PdfReader

from artfarm.cli import main
from artfarm.layout.copyright import UNDECLARED
from artfarm.layout.spec import PROVENANCE_NOTE

from .conftest import small_layout

CONFIG = {
    "book_id": "tiny",
    "title": "Tiny Bear",
    "style_pack": "watercolor_whimsy_v1",
    "models": {
        "draft": {"checkpoint": "draft_v1.safetensors"},
        "final": {"checkpoint": "final_v2.safetensors", "vae": "soft.vae.safetensors"},
        "upscaler": "2x_up.pth",
        "loras": ["wash.safetensors"],
        "licences": {
            "draft_v1.safetensors": "CreativeML Open RAIL-M",
            "final_v2.safetensors": "CreativeML Open RAIL++-M",
            "2x_up.pth": "Apache-2.0",
        },
    },
}


def book(make_book, config=CONFIG, **layout):
    spec = small_layout(pages=2, order=["title", "copyright", "story", "end"], **layout)
    root = make_book(spec)
    (root / "book_config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return root


def page_text(root, index):
    reader = PdfReader(root / "layout" / "pages.pdf")
    return " ".join(reader.pages[index].extract_text().split())


def test_the_copyright_page_lists_every_pinned_model_with_its_licence(make_book):
    root = book(make_book, copyright={"year": 2031})
    assert main(["layout", str(root), "pages"]) == 0
    text = page_text(root, 1)
    assert "Tiny Bear" in text and "© 2031 Test Author" in text
    for name, licence in [
        ("draft_v1.safetensors", "CreativeML Open RAIL-M"),
        ("final_v2.safetensors", "CreativeML Open RAIL++-M"),
        ("2x_up.pth", "Apache-2.0"),
        ("soft.vae.safetensors", UNDECLARED),
        ("wash.safetensors", UNDECLARED),
    ]:
        assert f"{name} — {licence}" in text
    assert " ".join(PROVENANCE_NOTE.split()) in text
    assert "Page 1 text." in page_text(root, 2)  # the story follows in its order
    assert len(PdfReader(root / "layout" / "pages.pdf").pages) == 6  # the page fits on one


def test_without_copyright_in_order_there_is_no_such_page(make_book):
    root = make_book(small_layout(pages=2))
    assert main(["layout", str(root), "pages"]) == 0
    reader = PdfReader(root / "layout" / "pages.pdf")
    assert not any("©" in p.extract_text() for p in reader.pages)


def test_a_licence_for_a_file_not_pinned_is_one_line(make_book, capsys):
    config = yaml.safe_load(yaml.safe_dump(CONFIG))
    config["models"]["licences"]["other.safetensors"] = "MIT"
    root = book(make_book, config=config)
    assert main(["layout", str(root), "pages"]) == 1
    err = capsys.readouterr().err
    assert "book_config.yaml" in err and "other.safetensors" in err and "Traceback" not in err
    assert not (root / "layout" / "pages.pdf").exists()


def test_a_copyright_page_without_book_config_says_so(make_book, capsys):
    root = make_book(small_layout(pages=2, order=["title", "copyright", "story", "end"]))
    assert main(["layout", str(root), "pages"]) == 1
    err = capsys.readouterr().err
    assert "copyright page" in err and "order" in err and "Traceback" not in err
