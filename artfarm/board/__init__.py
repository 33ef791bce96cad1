"""The review board: one book in a browser, for the person beside the agent.

`artfarm board books/<id>` serves a small local web app (aiohttp, Jinja2, plain JavaScript):

    app.py       the aiohttp application, its routes, and the server thread
    auth.py      the random token, its cookie, and the CSRF checks on every state change
    view.py      the view-model: the bible's rendered items, then spreads in reading order;
                 each subject's state (pipeline/subjects.py: a page or a bible item; states
                 from `artfarm next`), best art, candidates, prompts, review history, progress
    actions.py   the board's saves, through pipeline/reviewing.py (same checks and history as
                 `artfarm review`), refused when the review changed since the page was loaded
    builds.py    one Snakemake build of the book at a time, started and watched from the board
    templates/, static/   HTML (sandboxed, autoescaped Jinja2), CSS and JavaScript
"""
