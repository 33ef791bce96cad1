# Final: the variant the review picked, with its inpaint fixes applied in order (one GPU job
# each). Waits for the final pick; refuses a stale review.


rule final:
    input:
        variants=f"{PAGE}/refine/manifest.json",
        sheet=ancient(f"{PAGE}/refine/contact_sheet.png"),
        review=review_if_written,
    output:
        image=report(
            f"{PAGE}/final/final.png",
            category="Final art",
            subcategory="{book}",
            labels={"page": "{page}", "stage": "final"},
        ),
        manifest=f"{PAGE}/final/manifest.json",
    params:
        recipe=dagparams.final_recipe,
        run=script("stage.py"),
    resources:
        gpu=1,
    priority: gpu_priority("final")
    conda:
        "../environment.yml"
    log:
        f"{PAGE}/logs/final.log",
    shell:
        "{params.run} final books/{wildcards.book} {wildcards.page} --params {params.recipe:q} --log {log}"
