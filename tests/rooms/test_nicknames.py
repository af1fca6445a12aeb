import pytest

from rooms.nicknames import InvalidNickname, clean_nickname, nickname_key


def test_trims_and_collapses_spaces():
    assert clean_nickname("  Ada   Lovelace ") == "Ada Lovelace"


@pytest.mark.parametrize("raw", ["", "   ", "x" * 21, "a\x00b", "tab\there", "zero\u200bwidth",
                                 "b\u202eidi", 42, None])
def test_refuses_empty_long_control_and_non_text(raw):
    with pytest.raises(InvalidNickname):
        clean_nickname(raw)


@pytest.mark.parametrize("raw", ["shit", "SH1T head", "f.u.c.k", "b4stard", "ＦＵＣＫ"])
def test_offensive_words_are_filtered_through_disguises(raw):
    with pytest.raises(InvalidNickname):
        clean_nickname(raw)


def test_twenty_characters_and_unicode_letters_are_fine():
    assert clean_nickname("x" * 20) == "x" * 20
    assert clean_nickname("Zoë 🦊") == "Zoë 🦊"


def test_nickname_key_ignores_case():
    assert nickname_key("Ada") == nickname_key("aDA")
