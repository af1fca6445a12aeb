import random
import re

import pyobscenity
import pytest

from rooms.nicknames import (
    ALLOWED_NAMES,
    InvalidNickname,
    _matcher,
    _readings,
    _ScreenedMatcher,
    clean_nickname,
    nickname_key,
)

OFFENSIVE = ["shit", "SH1T head", "f.u.c.k", "f u c k", "b4stard", "ＦＵＣＫ", "fuuuuck", "a$$hole",
             "xXfuckXx", "dickhead", "Sex", "tw4t"]
INNOCENT = ["Spicer", "Hancock", "Dickens", "Essex", "Scunthorpe", "Cockburn", "Sussex", "Shitake",
            "Titus", "Cumberbatch", "Wang", "Peacock", "Moby Dick", "Cassandra", "Bassett", "Nigel",
            "Analise", "Fukuda", "Shital", "Dikshit", "Penistone", "Kenji Fukuda", "Hannah", "Anna"]


def test_trims_and_collapses_spaces():
    assert clean_nickname("  Ada   Lovelace ") == "Ada Lovelace"


@pytest.mark.parametrize("raw", ["", "   ", "x" * 21, "a\x00b", "tab\there", "zero\u200bwidth",
                                 "b\u202eidi", 42, None])
def test_refuses_empty_long_control_and_non_text(raw):
    with pytest.raises(InvalidNickname):
        clean_nickname(raw)


@pytest.mark.parametrize("raw", OFFENSIVE)
def test_offensive_words_are_filtered_through_disguises(raw):
    with pytest.raises(InvalidNickname) as refused:
        clean_nickname(raw)
    assert "choose another name" in str(refused.value)


@pytest.mark.parametrize("raw", INNOCENT)
def test_names_that_contain_a_bad_word_are_not_refused(raw):
    """Whole words, not substrings: a class meets these names and places."""
    assert clean_nickname(raw) == raw


@pytest.mark.parametrize("name", ALLOWED_NAMES)
def test_each_allowed_name_is_one_the_word_list_alone_refuses(name):
    assert pyobscenity.check(name.capitalize())
    assert clean_nickname(name.capitalize()) == name.capitalize()


def test_twenty_characters_and_unicode_letters_are_fine():
    assert clean_nickname("x" * 20) == "x" * 20
    assert clean_nickname("Zoë 🦊") == "Zoë 🦊"


def test_nickname_key_ignores_case():
    assert nickname_key("Ada") == nickname_key("aDA")


def _built_like(matcher, cls):
    """A matcher of class `cls` over the same terms and transformers as `matcher`."""
    return cls(blacklisted_terms=matcher.blacklisted_terms, whitelisted_terms=matcher.whitelisted_terms,
               blacklist_transformers=matcher.blacklist_transformers,
               whitelist_transformers=matcher.whitelist_transformers)


def _plain_form(pattern):
    """A blacklisted term's pattern as the word it spells, optional letters included."""
    text = re.sub(r"\\b|\(\?:|\)\?", "", pattern).replace(".", "a")
    return re.sub(r"\\x([0-9a-f]{2})", lambda m: chr(int(m[1], 16)), text)


def _generated(count, seed):
    """Nickname-like strings that often hold a blacklisted or whitelisted word or a piece of one."""
    rng = random.Random(seed)
    words = [_plain_form(t["regex"].pattern) for t in _matcher().compiled_blacklisted_terms]
    words += [t["pattern"] for t in _matcher().whitelisted_terms]
    singles = list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ._$@!|")
    singles += list("ＡＢＦＵⓐ𝐟ü¢ß")
    strings = []
    for _ in range(count):
        pieces = []
        for _ in range(rng.randint(1, 5)):
            if rng.random() < 0.4:
                word = rng.choice(words)
                start = rng.randint(0, len(word) - 1)
                pieces.append(word[start:rng.randint(start + 1, len(word))] if rng.random() < 0.5 else word)
            else:
                pieces.append("".join(rng.choices(singles, k=rng.randint(1, 4))))
        strings.append("".join(pieces)[:24])
    return strings


def test_screened_matcher_answers_as_the_library_does():
    screened = _matcher()
    assert isinstance(screened, _ScreenedMatcher)
    assert len(screened._screens) == 1  # the English dataset's patterns combine into one
    plain = _built_like(screened, pyobscenity.RegexMatcher)
    written = (OFFENSIVE + INNOCENT + [n.capitalize() for n in ALLOWED_NAMES]
               + ["Student 1234", "Ava", "Maximilian R", "s-17-23", "Olivia", "Noah", "Sophia", "Liam",
                  "Ada Lovelace", "Zoë 🦊", "ＡＢ", "B4DW0RD", "ＢＡＤ"])
    corpus = [reading for text in written for reading in _readings(text)] + _generated(4000, seed=7)
    refused = whitelisted = 0
    for text in corpus:
        answer = screened.has_match(text)
        assert answer == plain.has_match(text), text
        refused += answer
        transformed = plain.apply_transformers(text, plain.blacklist_transformers)[1]
        whitelisted += not answer and any(t["regex"].search(transformed)
                                          for t in plain.compiled_blacklisted_terms)
    # Both answers, and blacklisted matches the whitelist forgives, are well represented.
    assert refused > 500 and len(corpus) - refused > 500 and whitelisted > 100


def test_a_clean_nickname_skips_the_whitelist_work_and_a_match_does_not(monkeypatch):
    screened = _built_like(_matcher(), _ScreenedMatcher)
    library_intervals = screened.get_whitelisted_intervals
    asked = []

    def refuse(text):
        raise AssertionError(f"whitelist work for {text!r}")

    monkeypatch.setattr(screened, "get_whitelisted_intervals", refuse)
    assert not screened.has_match("Student 1234")
    assert not screened.has_match("Ava")

    def record(text):
        asked.append(text)
        return library_intervals(text)

    monkeypatch.setattr(screened, "get_whitelisted_intervals", record)
    assert screened.has_match("SH1T head")
    assert not screened.has_match("Penistone")  # a blacklisted match the whitelist forgives
    assert asked == ["SH1T head", "Penistone"]


def test_patterns_that_cannot_be_combined_are_searched_one_by_one():
    # A backreference, and flags the others do not share.
    terms = [{"id": 0, "pattern": r"(b)\1ad"}, {"id": 1, "pattern": r"(?i)worse"},
             {"id": 2, "pattern": "worst"}]
    screened = _ScreenedMatcher(blacklisted_terms=terms)
    plain = pyobscenity.RegexMatcher(blacklisted_terms=terms)
    assert len(screened._screens) == 3
    for text in ["bbad", "bad", "WORSE", "worst", "Worst", "fine"]:
        assert screened.has_match(text) == plain.has_match(text), text
