# Patterns and input functions of the bible item rules (rules/bible.smk): a character's sheet
# works in bible/sheets/<id>/, a golden image in bible/golden/<id>/ (artfarm.pipeline.bible_items).

from artfarm.documents.bible import (
    ITEM_KINDS,
    RENDERED_FOLDERS,
    WORK_FOLDERS,
    rendered_item_constraint,
)

ITEM = "books/{book}/bible/{work}/{item}"
ITEM_REF = "books/{book}/bible/{refs}/{item}"
RENDERED_ITEM = rendered_item_constraint(Path("books"))
ITEM_ID = r"[a-z][a-z0-9_]*"
WORK = "|".join(f.rsplit("/", 1)[1] for f in WORK_FOLDERS.values())
REFS = "|".join(f.rsplit("/", 1)[1] for f in RENDERED_FOLDERS.values())


def item_kind(wildcards):
    """sheet or style, from the folder wildcard of the rule."""
    return ITEM_KINDS[getattr(wildcards, "work", None) or wildcards.refs]


def item_work(wildcards):
    """The work folder of the item whose approved image the final rule writes."""
    kind = ITEM_KINDS[wildcards.refs]
    return f"books/{wildcards.book}/{WORK_FOLDERS[kind]}/{wildcards.item}"


def item_review_if_written(wildcards):
    """The item's review.json once written (ancient, as a page's): else the gate waits."""
    folder = ITEM.format(**wildcards) if hasattr(wildcards, "work") else item_work(wildcards)
    path = Path(folder) / "review.json"
    return [ancient(str(path))] if path.exists() else []
