"""JSON Schemas of the documents an agent writes, so it can write them right the first time."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from artfarm.documents.bible import Bible
from artfarm.documents.book_config import BookConfig
from artfarm.documents.renderspec import RenderSpec
from artfarm.documents.review import Review
from artfarm.documents.settings import Settings
from artfarm.documents.stylepack import StylePackSpec


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
