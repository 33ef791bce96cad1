# Draft burst: N candidates in one ComfyUI job, then a contact sheet for the reviewer.


rule draft:
    input:
        spec=ancient(f"{PAGE}/renderspec.json"),
        refs=page_reference_files,
    output:
        manifest=f"{PAGE}/draft/manifest.json",
    params:
        request=dagparams.draft_request,
        run=script("stage.py"),
    resources:
        gpu=1,
    priority: gpu_priority("draft")
    conda:
        "../environment.yml"
    log:
        f"{PAGE}/logs/draft.log",
    shell:
        "{params.run} draft books/{wildcards.book} {wildcards.page} --params {params.request:q} --log {log}"


rule draft_contact_sheet:
    input:
        manifest=f"{PAGE}/draft/manifest.json",
    output:
        sheet=report(
            f"{PAGE}/draft/contact_sheet.png",
            category="Drafts",
            subcategory="{book}",
            labels={"page": "{page}", "stage": "draft"},
        ),
    params:
        run=script("contact_sheet.py"),
    conda:
        "../environment.yml"
    log:
        f"{PAGE}/logs/draft_contact_sheet.log",
    shell:
        "{params.run} draft books/{wildcards.book} {wildcards.page} 2> {log}"
