import pytest

from tracklist.duration import format_duration, parse_duration


def test_parses_minutes_and_seconds():
    assert parse_duration("3:05") == 185


def test_parses_hours():
    assert parse_duration("1:02:05") == 3725


def test_rejects_words():
    with pytest.raises(ValueError):
        parse_duration("three minutes")


def test_formats_short_lengths():
    assert format_duration(185) == "3:05"
