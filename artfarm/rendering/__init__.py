"""From a page's documents to the exact ComfyUI graph to submit, and its identity.

prompts      spec + style pack + bible → positive and negative prompt (sandboxed Jinja)
tokens       approximate CLIP token count: what falls past the text encoder's window
workflow     workflow templates (workflows/*.json) and the graph edits the compiler makes
canvas       a page's art size from its place in the layout (a spread: one landscape canvas)
compiler     one stage of one page → graph, uploads, request and request hash
masks        inpaint masks drawn from a review's boxes, polygons or mask images
seeds        the spec's seed and the seeds derived from it per stage
contenthash  the content hash of a page (spec, pack, bible entries, reference bytes)
modelstore   the shared model store and each book's models.lock.json
"""
