"""A job that stops at a review gate waits; it does not fail.

Its exception, exit status and log mark live here, apart from the gates (selection.py), so a
job process can catch a wait without importing the review documents it may never read.
"""

from __future__ import annotations

from artfarm.problems import ArtfarmError

WAITING = 75  # a gate job's exit status while its page waits (EX_TEMPFAIL: try again later)
WAIT_MARK = "waiting: "  # how a gate job's log line says so (see artfarm.pipeline.waits)


class AwaitingReview(ArtfarmError):
    """Not a failure of the job: the page waits for the agent's review (none, or a stale one)."""


class StaleReview(AwaitingReview):
    """The review judged images that have changed since: it waits for a new one."""
