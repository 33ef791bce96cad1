# Patterns and input functions of the sheet rules (rules/bible.smk).

from artfarm.pipeline.bible_items import rendered_sheet_constraint

SHEET = "books/{book}/bible/sheets/{character}"
SHEET_REF = "books/{book}/bible/character_refs/{character}"
RENDERED_SHEET = rendered_sheet_constraint(Path("books"))
CHARACTER = r"[a-z][a-z0-9_]*"


def sheet_review_if_written(wildcards):
    """The sheet's review.json once written (ancient, as a page's): else the gate waits."""
    path = Path(SHEET.format(**wildcards)) / "review.json"
    return [ancient(str(path))] if path.exists() else []
