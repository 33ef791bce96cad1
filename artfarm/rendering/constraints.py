"""Spec constraints → prompt words: exact phrases, and parametrised forms with a count.

The style pack's `constraints` map (plus the book's own, `book_config.yaml` → `constraints`,
which win on the same key) turns each spec constraint into positive and negative words. A key
may hold `{n}`: "{n} characters only" then matches "3 characters only" and "three characters
only". In its words `{n}` becomes the count in words ("three") and `{next}` the ordinal after it
("fourth"), so "extra characters, a {next} character" reads "…, a fourth character". An exact
key wins over a form; a constraint that matches neither is an error listing the known ones.
"""

from __future__ import annotations

import re

from artfarm.documents.stylepack import ConstraintWords

NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                "ten", "eleven", "twelve")  # fmt: skip
ORDINALS = ("zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh",
            "eighth", "ninth", "tenth", "eleventh", "twelfth", "thirteenth")  # fmt: skip
_COUNT = r"(\d{1,2}|" + "|".join(NUMBER_WORDS) + ")"
SLOT = "{n}"


def count_of(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    return NUMBER_WORDS.index(text) if text in NUMBER_WORDS else None


def form_pattern(key: str) -> re.Pattern[str]:
    """The regex of a parametrised key: '{n} characters only' → r'(\\d|one|…) characters only'."""
    head, _, tail = key.partition(SLOT)
    return re.compile(re.escape(head) + _COUNT + re.escape(tail), re.IGNORECASE)


def fill(words: ConstraintWords, n: int) -> ConstraintWords:
    said = NUMBER_WORDS[n] if n < len(NUMBER_WORDS) else str(n)
    after = ORDINALS[n + 1] if n + 1 < len(ORDINALS) else f"{n + 1}th"
    return ConstraintWords(
        positive=words.positive.replace("{n}", said).replace("{next}", after),
        negative=words.negative.replace("{n}", said).replace("{next}", after),
    )


def constraint_words(constraint: str, table: dict[str, ConstraintWords]) -> ConstraintWords | None:
    """The words of one spec constraint: an exact key, else the first form it fits; else None."""
    if constraint in table:
        return table[constraint]
    for key, words in table.items():
        if SLOT not in key:
            continue
        match = form_pattern(key).fullmatch(constraint.strip())
        count = count_of(match.group(1).lower()) if match else None
        if count is not None:
            return fill(words, count)
    return None


def known_forms(table: dict[str, ConstraintWords]) -> list[str]:
    """The keys as an agent may write them ('{n}' shown as 'N')."""
    return sorted(key.replace(SLOT, "N") for key in table)
