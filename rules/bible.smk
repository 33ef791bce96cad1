# Phase 0: the bible's rendered items — a character's sheet (render_sheet:) or a golden image
# (style_refs[].render:) — through the same loop as a page: draft burst → review gate →
# refine → final pick → bible/character_refs/<id>.png or bible/style_refs/<id>.png
# (+ <id>.manifest.json). Work folders: bible/sheets/<id>/ and bible/golden/<id>/.
# Pages list the items they use as inputs (page_reference_files), so they wait for them.
# A hand-made sheet or golden image is never an output here: RENDERED_ITEM matches only the
# items each book's bible renders (artfarm.pipeline.bible_items).

include: "bible_inputs.smk"


rule sheet_draft:
    input:
        bible=ancient("books/{book}/bible/characters.yaml"),
    output:
        manifest=f"{ITEM}/draft/manifest.json",
    wildcard_constraints:
        work=WORK,
        item=ITEM_ID,
    params:
        request=dagparams.sheet_draft_request,
        kind=item_kind,
        run=script("bible_item.py"),
    resources:
        gpu=1,
    priority: gpu_priority("draft")
    conda:
        "../environment.yml"
    log:
        f"{ITEM}/logs/draft.log",
    shell:
        "{params.run} draft books/{wildcards.book} {params.kind} {wildcards.item} --params {params.request:q} --log {log}"


rule sheet_draft_contact_sheet:
    input:
        manifest=f"{ITEM}/draft/manifest.json",
    output:
        sheet=f"{ITEM}/draft/contact_sheet.png",
    wildcard_constraints:
        work=WORK,
        item=ITEM_ID,
    params:
        kind=item_kind,
        run=script("bible_item.py"),
    conda:
        "../environment.yml"
    log:
        f"{ITEM}/logs/draft_contact_sheet.log",
    shell:
        "{params.run} draft-contact books/{wildcards.book} {params.kind} {wildcards.item} --log {log}"


rule sheet_select:
    input:
        drafts=f"{ITEM}/draft/manifest.json",
        sheet=ancient(f"{ITEM}/draft/contact_sheet.png"),
        review=item_review_if_written,
    output:
        manifest=f"{ITEM}/selected/manifest.json",
    wildcard_constraints:
        work=WORK,
        item=ITEM_ID,
    params:
        selection=dagparams.sheet_selection,
        kind=item_kind,
        run=script("bible_item.py"),
    conda:
        "../environment.yml"
    log:
        f"{ITEM}/logs/select.log",
    shell:
        "{params.run} select books/{wildcards.book} {params.kind} {wildcards.item} --params {params.selection:q} --log {log}"


rule sheet_refine:
    input:
        selected=f"{ITEM}/selected/manifest.json",
    output:
        manifest=f"{ITEM}/refine/manifest.json",
    wildcard_constraints:
        work=WORK,
        item=ITEM_ID,
    params:
        request=dagparams.sheet_refine_request,
        kind=item_kind,
        run=script("bible_item.py"),
    resources:
        gpu=1,
    priority: gpu_priority("sheet")
    conda:
        "../environment.yml"
    log:
        f"{ITEM}/logs/refine.log",
    shell:
        "{params.run} refine books/{wildcards.book} {params.kind} {wildcards.item} --params {params.request:q} --log {log}"


rule sheet_refine_contact_sheet:
    input:
        manifest=f"{ITEM}/refine/manifest.json",
    output:
        sheet=f"{ITEM}/refine/contact_sheet.png",
    wildcard_constraints:
        work=WORK,
        item=ITEM_ID,
    params:
        kind=item_kind,
        run=script("bible_item.py"),
    conda:
        "../environment.yml"
    log:
        f"{ITEM}/logs/refine_contact_sheet.log",
    shell:
        "{params.run} refine-contact books/{wildcards.book} {params.kind} {wildcards.item} --log {log}"


rule sheet_final:
    input:
        variants=lambda wildcards: f"{item_work(wildcards)}/refine/manifest.json",
        sheet=lambda wildcards: ancient(f"{item_work(wildcards)}/refine/contact_sheet.png"),
        review=item_review_if_written,
    output:
        image=f"{ITEM_REF}.png",
        manifest=f"{ITEM_REF}.manifest.json",
    wildcard_constraints:
        refs=REFS,
        item=RENDERED_ITEM,
    params:
        recipe=dagparams.sheet_final_recipe,
        kind=item_kind,
        run=script("bible_item.py"),
    conda:
        "../environment.yml"
    log:
        "books/{book}/bible/logs/{refs}/{item}.final.log",
    shell:
        "{params.run} final books/{wildcards.book} {params.kind} {wildcards.item} --params {params.recipe:q} --log {log}"
