"""Nickname rules: 1..20 characters after trimming, no control characters, no offensive words.

The filter compares a folded form (NFKC, lower case, common look-alike digits and symbols
mapped to letters, everything but letters removed), so "B4DW0RD" and "b.a.d" are caught too.
The list is deliberately short and conservative: it blocks the words a class would not want
on a projector; teachers can kick anything it misses.
"""

from __future__ import annotations

import re
import unicodedata

MAX_LENGTH = 20

_LOOKALIKES = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t",
                             "8": "b", "@": "a", "$": "s", "!": "i", "|": "i", "+": "t"})
_BLOCKED = (
    "fuck", "shit", "bitch", "cunt", "dick", "cock", "pussy", "asshole", "bastard", "whore",
    "slut", "nigger", "nigga", "faggot", "retard", "penis", "vagina", "porn", "sex", "nazi",
    "hitler", "rape", "wank", "twat", "kike", "spic", "chink", "scheisse", "merde", "puta",
)
_SPACES = re.compile(r"\s+")


class InvalidNickname(ValueError):
    pass


def _folded(nickname: str) -> str:
    text = unicodedata.normalize("NFKC", nickname).casefold().translate(_LOOKALIKES)
    return "".join(ch for ch in text if ch.isalpha())


def is_offensive(nickname: str) -> bool:
    folded = _folded(nickname)
    return any(word in folded for word in _BLOCKED)


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
        raise InvalidNickname("please choose another nickname")
    return nickname


def nickname_key(nickname: str) -> str:
    """Two nicknames that look the same on screen are the same nickname."""
    return unicodedata.normalize("NFKC", nickname).casefold()
