# Storyboard (Phase 1): the whole book in reading order before any draft burst. Each page
# shows its best art so far (artfarm.layout.storyboard: final pick, else a selected draft);
# a page without either gets a thumbnail, the cheapest render there is.


rule thumb:
    input:
        spec=ancient(f"{PAGE}/renderspec.json"),
        refs=page_reference_files,
    output:
        image=f"{PAGE}/thumb/thumb.png",
        manifest=f"{PAGE}/thumb/manifest.json",
    params:
        request=dagparams.thumb_request,
        run=script("stage.py"),
    resources:
        gpu=1,
    priority: gpu_priority("thumb")
    conda:
        "../environment.yml"
    log:
        f"{PAGE}/logs/thumb.log",
    shell:
        "{params.run} thumb books/{wildcards.book} {wildcards.page} --params {params.request:q} --log {log}"


rule storyboard:
    input:
        spec="books/{book}/layout/book.yaml",
        art=storyboard_art,
    output:
        pdf="books/{book}/layout/storyboard.pdf",
        overview="books/{book}/layout/storyboard.png",
    params:
        run=LAYOUT_CLI,
    conda:
        "../environment.yml"
    log:
        "books/{book}/logs/layout/storyboard.log",
    shell:
        "{params.run} books/{wildcards.book} storyboard > {log} 2>&1"
