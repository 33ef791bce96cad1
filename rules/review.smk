# The draft-review gate: waits (fails with the command to run) until review.json picks drafts,
# refuses a stale review, then copies the chosen drafts into selected/.


rule select_drafts:
    input:
        drafts=f"{PAGE}/draft/manifest.json",
        sheet=ancient(f"{PAGE}/draft/contact_sheet.png"),
        review=review_if_written,
    output:
        manifest=f"{PAGE}/selected/manifest.json",
    params:
        selection=dagparams.draft_selection,
        run=script("stage.py"),
    conda:
        "../environment.yml"
    log:
        f"{PAGE}/logs/select.log",
    shell:
        "{params.run} select books/{wildcards.book} {wildcards.page} --params {params.selection:q} --log {log}"
