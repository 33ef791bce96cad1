"""The approximate CLIP token count that validate's prompt-window warning rests on."""

from artfarm.rendering.tokens import TEXT_TOKENS, count_tokens, words_past


def test_short_words_and_punctuation_count_one_token_each() -> None:
    assert count_tokens("a red fox, jumping!").tokens == 6


def test_long_words_count_one_token_per_seven_letters() -> None:
    assert count_tokens("watercolor").tokens == 1
    assert count_tokens("extraordinarily").tokens == 3


def test_digits_count_one_token_each() -> None:
    assert count_tokens("(bear:1.2)").tokens == 7


def test_the_text_past_the_window_is_named_as_written() -> None:
    text = "word " * TEXT_TOKENS + "Falls Off here"
    counted = count_tokens(text)
    assert counted.tokens == TEXT_TOKENS + 3
    assert counted.overflow == "Falls Off here"
    assert count_tokens("word " * TEXT_TOKENS).fits


def test_words_past_shortens_a_long_tail() -> None:
    assert words_past("one two three", shown=2) == "one two … (+1 more words)"


def test_a_word_that_runs_past_the_window_opens_the_next_one_whole() -> None:
    text = "word " * (TEXT_TOKENS - 1) + "cream-coloured muzzle"  # cream fits, - and coloured not
    counted = count_tokens(text)
    assert counted.tokens == TEXT_TOKENS + 3
    assert counted.overflow == "cream-coloured muzzle"
