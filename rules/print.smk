# Print: 2× upscale of the final art (upscale model or resize + low-denoise pass, tiled decode).


rule print_art:
    input:
        final=f"{PAGE}/final/manifest.json",
    output:
        image=f"{PAGE}/print/print.png",
        manifest=f"{PAGE}/print/manifest.json",
    params:
        request=dagparams.print_request,
        run=script("stage.py"),
    resources:
        gpu=1,
    priority: gpu_priority("print")
    conda:
        "../environment.yml"
    log:
        f"{PAGE}/logs/print.log",
    shell:
        "{params.run} print books/{wildcards.book} {wildcards.page} --params {params.request:q} --log {log}"
