"""How much of a prompt the text encoder sees: an approximate CLIP token count.

SD 1.5 and SDXL encode a prompt with CLIP, whose window is 77 tokens: a start and an end
token around 75 of text. ComfyUI encodes a longer prompt in further 75-token chunks and joins
them, which weakens whatever falls past the first window; other front ends drop it. Either
way the words past token 75 are the ones an agent should move forward or cut.

artfarm ships no CLIP vocabulary, so the count is a deterministic approximation of CLIP's
BPE, erring on the long side: text is lower-cased and split like CLIP's pre-tokenizer
(letter runs, single digits, punctuation); a word of up to 10 letters counts as one token
(common English words are single tokens in CLIP's 49k vocabulary), a longer word one per 7
letters; every digit and every punctuation mark is one token. Weights such as `(Bear:1.2)`
count as written, as ComfyUI's tokenizer strips them before encoding but the count stays
an upper bound. Real counts may be a few tokens lower.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

CLIP_WINDOW = 77  # tokens the encoder sees at once, start and end tokens included
TEXT_TOKENS = CLIP_WINDOW - 2
WINDOWS = {"sd15": CLIP_WINDOW, "sdxl": CLIP_WINDOW}  # families artfarm's graphs target
_PIECES = re.compile(r"[^\W\d_]+|\d|[^\w\s]|_", re.UNICODE)
SHORT_WORD = 10
LETTERS_PER_TOKEN = 7


def piece_tokens(piece: str) -> int:
    """Tokens of one pre-token piece: a word, a digit or a punctuation mark."""
    if piece.isalpha() and len(piece) > SHORT_WORD:
        return math.ceil(len(piece) / LETTERS_PER_TOKEN)
    return 1


@dataclass(frozen=True)
class TokenCount:
    tokens: int  # approximate text tokens (without start/end)
    overflow: str  # the text past the first window, as written ("" when it fits)

    @property
    def fits(self) -> bool:
        return not self.overflow


def count_tokens(text: str, limit: int = TEXT_TOKENS) -> TokenCount:
    """Approximate CLIP tokens of `text`, and the text from the word that runs past `limit`."""
    used = 0
    cut: int | None = None
    for match in _PIECES.finditer(text.lower()):
        used += piece_tokens(match.group())
        if used > limit and cut is None:
            cut = _word_start(text, match.start())
    overflow = "" if cut is None else text[cut:].lstrip(" ,;.").strip()
    return TokenCount(used, overflow)


def _word_start(text: str, index: int) -> int:
    """Where the written word holding `index` begins: ComfyUI's tokenizer moves a word that
    does not fit a window whole into the next one (`cream-coloured`, not `-coloured`)."""
    return max(text.rfind(" ", 0, index), text.rfind("\n", 0, index)) + 1


def words_past(overflow: str, shown: int = 12) -> str:
    """The first words past the window, for a one-line message."""
    words = overflow.split()
    head = " ".join(words[:shown])
    return head + (f" … (+{len(words) - shown} more words)" if len(words) > shown else "")
