"""JSON Schemas of the documents an agent writes, so it can write them right the first time."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from artfarm.bible import Bible
from artfarm.book_config import BookConfig
from artfarm.renderspec import RenderSpec
from artfarm.review import Review
from artfarm.settings import Settings
from artfarm.stylepack import StylePackSpec


def document_models() -> dict[str, type[BaseModel]]:
    models: dict[str, type[BaseModel]] = {
        "renderspec": RenderSpec,
        "review": Review,
        "book": BookConfig,
        "bible": Bible,
        "stylepack": StylePackSpec,
        "settings": Settings,
    }
    try:
        from artfarm.layout.spec import LayoutSpec
    except ImportError:
        pass
    else:
        models["layout"] = LayoutSpec
    return models


def json_schema(name: str) -> dict[str, Any]:
    return document_models()[name].model_json_schema()
