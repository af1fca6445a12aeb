"""Display names of rostered students: the same rules as a live nickname (1..20 characters).

Once rooms/nicknames.py (with its offensive-word filter) is on main, `clean_display_name`
should delegate to it so a roster name is always a valid nickname.
"""

from __future__ import annotations

import unicodedata

MAX_DISPLAY_NAME = 20


def clean_display_name(raw: str) -> str:
    """The name as stored (NFC, trimmed, inner whitespace collapsed), or ValueError saying why."""
    name = unicodedata.normalize("NFC", raw)
    # Control, format, surrogate and unassigned characters (Unicode category C*) can hide
    # text or reorder it on screens; none belongs in a name.
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise ValueError("a name cannot contain control characters")
    name = " ".join(name.split())
    if not name:
        raise ValueError("a name needs at least one visible character")
    if len(name) > MAX_DISPLAY_NAME:
        raise ValueError(f"a name has at most {MAX_DISPLAY_NAME} characters")
    return name
