"""The documents people and agents write, as pydantic models, and how they are read.

reader       JSON/YAML → models, every failure a Problem (file, field, problem, fix)
safepath     paths named in documents stay inside their book
book         a book on disk and where each of its documents lives
renderspec   pages/NNNN/renderspec.json: the agent's render job for a page
bible        bible/characters.yaml: the words every prompt uses for a character
book_config  book_config.yaml: title, pinned style pack and models
stylepack    style_packs/<name>/stylepack.yaml: templates, LoRAs, tiers, constraint words
review       pages/NNNN/review.json: the agent's judgement
settings     config/config.yaml: servers, model store, runtime folder
schemas      JSON Schemas of all of the above, for `artfarm schema`
"""
