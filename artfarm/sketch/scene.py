"""Read artfarm's prompt conventions into a scene a storyboard sketch can stage.

The sketch server is artfarm's own, so it may rely on how artfarm's templates write prompts:
the first segment (up to '.' or ';') is the scene line, `(Name:1.2)` groups of at most four
words are characters, and plain words name the time of day, the weather, the shot and the
side the picture keeps open for text ("quiet open area at the top of the picture").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

EMPHASIS = re.compile(r"\(([^():]+):\s*([0-9]*\.?[0-9]+)\s*\)")

# Longest phrases first so "golden hour" wins over "hour", "extreme wide" over "wide".
TIMES = (
    "golden hour",
    "midnight",
    "afternoon",
    "sunrise",
    "morning",
    "evening",
    "sunset",
    "dawn",
    "noon",
    "dusk",
    "night",
)
WEATHER = {"rain": "rain", "rainy": "rain", "snow": "snow", "snowy": "snow", "fog": "fog",
           "foggy": "fog", "mist": "fog", "misty": "fog", "clear": "clear"}  # fmt: skip
SHOTS = (("extreme wide", "extreme wide"), ("close-up", "close-up"), ("closeup", "close-up"),
         ("close up", "close-up"), ("medium", "medium"), ("wide", "wide"))  # fmt: skip


# "quiet open area at the bottom of the picture", "open space on the left side" (style packs).
CALM = re.compile(
    r"\b(?:open|empty|calm|quiet)\b[^.;,()]*?\b(?:area|space)\b[^.;,()]*?"
    r"\b(?:at|on|along) the (top|bottom|left|right)\b"
)


@dataclass(frozen=True)
class Scene:
    caption: str
    characters: tuple[str, ...]
    time_of_day: str
    weather: str
    shot: str
    calm: str | None = None  # the side kept free of figures: top, bottom, left or right


def _words(text: str) -> str:
    return " " + re.sub(r"[^a-z0-9\- ]+", " ", text.lower()) + " "


def find_time(text: str) -> str:
    words = _words(text)
    for phrase in TIMES:
        if f" {phrase} " in words:
            return phrase
    return "afternoon"


def find_weather(text: str) -> str:
    words = _words(text).split()
    for word in words:
        if word in WEATHER:
            return WEATHER[word]
    return "clear"


def find_shot(text: str) -> str:
    words = _words(text)
    for phrase, shot in SHOTS:
        if f" {phrase} " in words or f" {phrase}-shot " in words or f" {phrase} shot" in words:
            return shot
    return "medium"


def find_characters(text: str) -> tuple[str, ...]:
    """Every `(Label:weight)` with weight ≥ 1.0 and at most four words, first seen first."""
    names: list[str] = []
    for label, weight in EMPHASIS.findall(text):
        label = " ".join(label.split())
        if float(weight) >= 1.0 and 0 < len(label.split()) <= 4 and label not in names:
            names.append(label)
    return tuple(names)


def caption_of(text: str) -> str:
    first = re.split(r"[.;]", text, maxsplit=1)[0]
    first = EMPHASIS.sub(lambda m: m.group(1), first)
    return " ".join(first.replace("(", "").replace(")", "").split())


def find_calm(text: str) -> str | None:
    """The side the prompt asks to keep open (for story text), if any: first one wins."""
    match = CALM.search(text.lower())
    return match.group(1) if match else None


def read_scene(prompt: str) -> Scene:
    return Scene(
        caption=caption_of(prompt),
        characters=find_characters(prompt),
        time_of_day=find_time(prompt),
        weather=find_weather(prompt),
        shot=find_shot(prompt),
        calm=find_calm(prompt),
    )
