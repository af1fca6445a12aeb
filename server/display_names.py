"""Short single-line texts people type: display names, class names, room titles.

Roster display names follow the nickname rules' shape (1..20 characters, no control
characters) but not rooms/nicknames.py's offensive-word filter: a nickname is what a child
types freely, a display name is the real name a teacher types, and the teacher is the
authority over their roster.
"""

from __future__ import annotations

import unicodedata

MAX_DISPLAY_NAME = 20


def clean_line(raw: str, *, max_length: int, what: str) -> str:
    """NFC, trimmed, inner whitespace collapsed; ValueError for control characters or length.

    The result may be empty; callers that need text check for that.
    """
    text = unicodedata.normalize("NFC", raw)
    # Control, format, surrogate and unassigned characters (Unicode category C*) can hide
    # text or reorder it on screens; none belongs in a name.
    if any(unicodedata.category(ch).startswith("C") for ch in text):
        raise ValueError(f"{what} cannot contain control characters")
    text = " ".join(text.split())
    if len(text) > max_length:
        raise ValueError(f"{what} has at most {max_length} characters")
    return text


def clean_required_line(raw: str, *, max_length: int, what: str) -> str:
    text = clean_line(raw, max_length=max_length, what=what)
    if not text:
        raise ValueError(f"{what} needs at least one visible character")
    return text


def clean_display_name(raw: str) -> str:
    """The name as stored, or ValueError saying why it cannot be one."""
    return clean_required_line(raw, max_length=MAX_DISPLAY_NAME, what="a name")
