# Refine: img2img of each selected draft at final size (1–3 variants each), then a contact sheet.


rule refine:
    input:
        selected=f"{PAGE}/selected/manifest.json",
        refs=page_reference_files,
    output:
        manifest=f"{PAGE}/refine/manifest.json",
    params:
        request=dagparams.refine_request,
        run=script("stage.py"),
    resources:
        gpu=1,
    priority: gpu_priority("refine")
    conda:
        "../environment.yml"
    log:
        f"{PAGE}/logs/refine.log",
    shell:
        "{params.run} refine books/{wildcards.book} {wildcards.page} --params {params.request:q} --log {log}"


rule refine_contact_sheet:
    input:
        manifest=f"{PAGE}/refine/manifest.json",
    output:
        sheet=report(
            f"{PAGE}/refine/contact_sheet.png",
            category="Refined",
            subcategory="{book}",
            labels={"page": "{page}", "stage": "refine"},
        ),
    params:
        run=script("contact_sheet.py"),
    conda:
        "../environment.yml"
    log:
        f"{PAGE}/logs/refine_contact_sheet.log",
    shell:
        "{params.run} refine books/{wildcards.book} {wildcards.page} 2> {log}"
