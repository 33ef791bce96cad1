# Phase 0: a character's sheet rendered from its words in the bible (render_sheet:), through
# the same loop as a page: draft burst → review gate → refine → final pick →
# bible/character_refs/<id>.png (+ <id>.manifest.json). Work folders: bible/sheets/<id>/.
# Pages list the sheets they use as inputs (page_reference_files), so they wait for them.
# A hand-made sheet is never an output here: RENDERED_SHEET matches only the characters each
# book's bible renders (artfarm.pipeline.bible_items).

include: "bible_inputs.smk"


rule sheet_draft:
    input:
        bible=ancient("books/{book}/bible/characters.yaml"),
    output:
        manifest=f"{SHEET}/draft/manifest.json",
    wildcard_constraints:
        character=CHARACTER,
    params:
        request=dagparams.sheet_draft_request,
        run=script("bible_item.py"),
    resources:
        gpu=1,
    priority: gpu_priority("draft")
    conda:
        "../environment.yml"
    log:
        f"{SHEET}/logs/draft.log",
    shell:
        "{params.run} draft books/{wildcards.book} {wildcards.character} --params {params.request:q} --log {log}"


rule sheet_draft_contact_sheet:
    input:
        manifest=f"{SHEET}/draft/manifest.json",
    output:
        sheet=f"{SHEET}/draft/contact_sheet.png",
    wildcard_constraints:
        character=CHARACTER,
    params:
        run=script("bible_item.py"),
    conda:
        "../environment.yml"
    log:
        f"{SHEET}/logs/draft_contact_sheet.log",
    shell:
        "{params.run} draft-contact books/{wildcards.book} {wildcards.character} --log {log}"


rule sheet_select:
    input:
        drafts=f"{SHEET}/draft/manifest.json",
        sheet=ancient(f"{SHEET}/draft/contact_sheet.png"),
        review=sheet_review_if_written,
    output:
        manifest=f"{SHEET}/selected/manifest.json",
    wildcard_constraints:
        character=CHARACTER,
    params:
        selection=dagparams.sheet_selection,
        run=script("bible_item.py"),
    conda:
        "../environment.yml"
    log:
        f"{SHEET}/logs/select.log",
    shell:
        "{params.run} select books/{wildcards.book} {wildcards.character} --params {params.selection:q} --log {log}"


rule sheet_refine:
    input:
        selected=f"{SHEET}/selected/manifest.json",
    output:
        manifest=f"{SHEET}/refine/manifest.json",
    wildcard_constraints:
        character=CHARACTER,
    params:
        request=dagparams.sheet_refine_request,
        run=script("bible_item.py"),
    resources:
        gpu=1,
    priority: gpu_priority("sheet")
    conda:
        "../environment.yml"
    log:
        f"{SHEET}/logs/refine.log",
    shell:
        "{params.run} refine books/{wildcards.book} {wildcards.character} --params {params.request:q} --log {log}"


rule sheet_refine_contact_sheet:
    input:
        manifest=f"{SHEET}/refine/manifest.json",
    output:
        sheet=f"{SHEET}/refine/contact_sheet.png",
    wildcard_constraints:
        character=CHARACTER,
    params:
        run=script("bible_item.py"),
    conda:
        "../environment.yml"
    log:
        f"{SHEET}/logs/refine_contact_sheet.log",
    shell:
        "{params.run} refine-contact books/{wildcards.book} {wildcards.character} --log {log}"


rule sheet_final:
    input:
        variants=f"{SHEET}/refine/manifest.json",
        sheet=ancient(f"{SHEET}/refine/contact_sheet.png"),
        review=sheet_review_if_written,
    output:
        image=f"{SHEET_REF}.png",
        manifest=f"{SHEET_REF}.manifest.json",
    wildcard_constraints:
        character=RENDERED_SHEET,
    params:
        recipe=dagparams.sheet_final_recipe,
        run=script("bible_item.py"),
    conda:
        "../environment.yml"
    log:
        f"{SHEET}/logs/final.log",
    shell:
        "{params.run} final books/{wildcards.book} {wildcards.character} --params {params.recipe:q} --log {log}"
