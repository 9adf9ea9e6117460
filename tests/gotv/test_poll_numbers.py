"""Poll numbers as tellers type them: every written form parses; anything else says why."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gotv.poll_numbers import MAX_NUMBER, PollNumber, PollNumberError, parse_poll_number

PREFIXES = st.from_regex(r"[A-Z]{1,3}[0-9]{0,2}(-[0-9]/[0-9])?", fullmatch=True)
NUMBERS = st.integers(min_value=1, max_value=MAX_NUMBER)
SUFFIXES = st.integers(min_value=0, max_value=999)


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("888", PollNumber("", 888, 0)),
        ("888/8", PollNumber("", 888, 8)),
        ("888.8", PollNumber("", 888, 8)),
        ("AB1-888", PollNumber("AB1", 888, 0)),
        ("AB1-888/2", PollNumber("AB1", 888, 2)),
        ("ab1 888", PollNumber("AB1", 888, 0)),
        (" 12 / 3 ", PollNumber("", 12, 3)),
        ("KD-2/2-289/1", PollNumber("KD-2/2", 289, 1)),
        ("AB1-888/0", PollNumber("AB1", 888, 0)),
        ("888\u00a0", PollNumber("", 888, 0)),
    ],
)
def test_poll_card_forms_parse(typed, expected):
    assert parse_poll_number(typed) == expected


@pytest.mark.parametrize(
    "typed, says",
    [
        ("88a", "letters in the number"),
        ("AB1-8x8", "letters in the number"),
        ("", "Type the number"),
        ("   ", "Type the number"),
        ("0", "from 1 to"),
        ("100000", "from 1 to"),
        ("888/1000", "at most 999"),
        ("888-8", "not a poll number"),
        ("AB1.888", "not a poll number"),
        ("8" * 41, "too long"),
    ],
)
def test_bad_numbers_say_what_is_wrong(typed, says):
    with pytest.raises(PollNumberError, match=says):
        parse_poll_number(typed)


@given(prefix=st.one_of(st.just(""), PREFIXES), number=NUMBERS, suffix=SUFFIXES, data=st.data())
def test_every_written_form_round_trips(prefix, number, suffix, data):
    separator = data.draw(st.sampled_from(["-", " ", " - "]))
    suffix_mark = data.draw(st.sampled_from(["/", ".", " / "]))
    text = (f"{prefix}{separator}" if prefix else "") + str(number)
    if suffix or data.draw(st.booleans()):
        text += f"{suffix_mark}{suffix}"
    if data.draw(st.booleans()):
        text = text.lower()
    parsed = parse_poll_number(text)
    assert parsed == PollNumber(prefix, number, suffix)
    assert parse_poll_number(str(parsed)) == parsed


@given(text=st.text(max_size=50))
def test_any_text_parses_or_says_why(text):
    try:
        parsed = parse_poll_number(text)
    except PollNumberError as error:
        assert str(error)
    else:
        assert 1 <= parsed.number <= MAX_NUMBER
        assert any(ch.isdigit() for ch in text)


@given(number=NUMBERS, letter=st.sampled_from("ABCXYZabcxyz"), at=st.integers(min_value=0, max_value=5))
def test_a_letter_inside_the_number_is_refused(number, letter, at):
    digits = str(number)
    at = min(at, len(digits))
    typed = digits[:at] + letter + digits[at:]
    if at == 0:
        typed = "1" + typed  # a leading letter would read as a district prefix
    with pytest.raises(PollNumberError):
        parse_poll_number(typed)
