"""Nickname rules: 1..20 characters after trimming, no control characters, no offensive words.

The offensive-word check is pyobscenity's English dataset (a port of the Obscenity library):
a curated list whose patterns match whole words or word starts where a substring would catch
innocent words (Scunthorpe, Essex, Dickens, Spicer, Hancock pass), through leetspeak and
look-alike characters ("B4DW0RD", "ＢＡＤ"). Two disguises it does not undo are read here
first: letters spelled out one by one ("b a d", "b.a.d") and one letter stretched ("baaad").
Real names that its patterns catch are allowed by `ALLOWED_NAMES`. The teacher can kick
anything the filter misses.

The library works out the whitelisted stretches of every nickname before it looks for a
blacklisted one, and that is most of its cost; here one combined search of the blacklist goes
first, so the library's own whitelist work runs only when a blacklisted pattern matches.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator
from typing import Any

# pyobscenity's own regular-expression engine (its dependency): the combined pattern below must
# read the terms' patterns exactly as the library compiles them.
import regex
from pyobscenity import (
    Dataset,
    RegexMatcher,
    english_dataset,
    english_recommended_blacklist_transformers,
    english_recommended_whitelist_transformers,
)

MAX_LENGTH = 20

# Children's names and places the English dataset's patterns refuse; each was checked to be
# refused without this list (tests/rooms/test_nicknames.py).
ALLOWED_NAMES = ("analise", "dikshit", "fukuda", "penistone", "shital")

_SPACES = re.compile(r"\s+")
_SEPARATORS = re.compile(r"[\W_]+")
_STRETCHED = re.compile(r"(\w)\1{2,}")  # one letter three times or more


class InvalidNickname(ValueError):
    pass


# A pattern that recursed into the whole pattern would recurse into every term once combined.
_RECURSION = re.compile(r"\(\?(?:R|0)\)")


class _ScreenedMatcher(RegexMatcher):
    """`RegexMatcher` that answers "no match" without the whitelist work when no blacklisted
    pattern matches anywhere, and otherwise asks the library itself."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        patterns = [term["regex"] for term in self.compiled_blacklisted_terms]
        flags = {p.flags for p in patterns}
        # With no capturing group a pattern can hold no backreference (it would not compile)
        # and no named group, so joining the patterns renumbers nothing they refer to.
        combinable = (len(flags) == 1
                      and all(p.groups == 0 and not _RECURSION.search(p.pattern) for p in patterns))
        self._screens = ([regex.compile("|".join(f"(?:{p.pattern})" for p in patterns),
                                        flags.pop())]
                         if combinable else patterns)

    def has_match(self, input: str) -> bool:
        _, transformed = self.apply_transformers(input, self.blacklist_transformers)
        # Wherever one term's pattern matches, the alternation of all of them matches there or
        # further left, so no match here means the library would find no blacklisted match to
        # check against the whitelist either.
        if not any(screen.search(transformed) for screen in self._screens):
            return False
        return bool(super().has_match(input))


@functools.cache
def _matcher() -> Any:
    """Built on first use (tens of milliseconds), once per process."""
    dataset = Dataset().add_all(english_dataset)
    for name in ALLOWED_NAMES:
        dataset.add_phrase(lambda phrase, n=name: phrase.add_whitelisted_term(n))
    terms = dataset.build()
    return _ScreenedMatcher(blacklisted_terms=terms["blacklisted_terms"],
                            whitelisted_terms=terms["whitelisted_terms"],
                            blacklist_transformers=english_recommended_blacklist_transformers,
                            whitelist_transformers=english_recommended_whitelist_transformers)


def _readings(nickname: str) -> Iterator[str]:
    """The nickname as typed, and as it reads once its disguises are undone."""
    text = unicodedata.normalize("NFKC", nickname)
    yield text
    pieces = [p for p in _SEPARATORS.split(text) if p]
    if len(pieces) >= 3 and all(len(p) == 1 for p in pieces):  # "b a d", "b.a.d"
        yield "".join(pieces)
    squeezed = _STRETCHED.sub(r"\1", text)
    if squeezed != text:  # "baaad"
        yield squeezed


def is_offensive(nickname: str) -> bool:
    matcher = _matcher()
    return any(matcher.has_match(reading) for reading in _readings(nickname))


def clean_nickname(raw: str) -> str:
    """The nickname to show, or InvalidNickname saying why it cannot be used."""
    if not isinstance(raw, str):
        raise InvalidNickname("nickname must be text")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in raw):
        raise InvalidNickname("nickname contains control or invisible characters")
    nickname = _SPACES.sub(" ", unicodedata.normalize("NFC", raw).strip())
    if not 1 <= len(nickname) <= MAX_LENGTH:
        raise InvalidNickname(f"nickname must be 1 to {MAX_LENGTH} characters")
    if is_offensive(nickname):
        raise InvalidNickname("that name cannot be used here: please choose another name")
    return nickname


def nickname_key(nickname: str) -> str:
    """Two nicknames that look the same on screen are the same nickname."""
    return unicodedata.normalize("NFKC", nickname).casefold()
