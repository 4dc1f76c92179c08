"""The scripture format and the reference judge."""

from __future__ import annotations

import pytest

from almostism_dos import programs, reference, scripture
from almostism_dos.reference import build, judge, judgement, spoken_line
from almostism_dos.scripture import Flaw, Verdict
from tests.conftest import fuzz_examples, spread


@pytest.mark.parametrize("unique", spread(fuzz_examples("ALMOSTISM_UNIQUE_BYTES"), 1, 255))
def test_format_for_every_unique_byte(unique: int) -> None:
    data = build(unique)
    assert len(data) == 1023
    assert data[:8] == bytes.fromhex("FE0DCA7F80A95C5C")
    assert data[8:50] == programs.parser_bytes()
    assert data[50] == unique
    assert data[51:1022] == bytes(971)
    assert sum(data) % 256 == 0
    assert judge(data) is Verdict.COMPLETE
    assert reference.unique_byte(data) == unique


@pytest.mark.parametrize("unique", [0, 256, -1])
def test_unique_byte_out_of_range_is_refused(unique: int) -> None:
    with pytest.raises(ValueError, match=r"1\.\.255"):
        build(unique)


def test_random_unique_bytes_stay_in_range() -> None:
    assert {scripture.random_unique() for _ in range(2000)} <= set(range(1, 256))


def flip(data: bytes, offset: int, mask: int = 1) -> bytes:
    changed = bytearray(data)
    changed[offset] ^= mask
    return bytes(changed)


VALID = build(0x5A)


@pytest.mark.parametrize(
    ("data", "verdict"),
    [
        (None, Verdict.ABSENT),
        (b"", Verdict.FOREIGN),
        (b"an ordinary text file\r\n", Verdict.FOREIGN),
        (VALID[:7], Verdict.FOREIGN),
        (flip(VALID, 3), Verdict.FOREIGN),
        (VALID[:8], Verdict.FALSE),
        (VALID[:1022], Verdict.FALSE),
        (VALID + b"\0", Verdict.GAP),
        (VALID + bytes(3073), Verdict.GAP),
        (flip(VALID, 1022), Verdict.FALSE),  # checksum
        (flip(VALID, 20), Verdict.FALSE),  # parser
        (flip(flip(VALID, 20), 1022), Verdict.FALSE),  # parser, checksum repaired
        (flip(flip(VALID, 600), 1022), Verdict.FALSE),  # something hidden in the gap
        (flip(flip(VALID, 49, 0x90), 1022, 0x90), Verdict.FALSE),  # padding NOP changed
        (bytes(VALID[:50]) + b"\0" + VALID[51:1022] + bytes([(VALID[1022] + 0x5A) & 0xFF]), Verdict.FALSE),
        (bytes(1023), Verdict.HUSK),
        (bytes(1022), Verdict.FOREIGN),
        (bytes(1024), Verdict.FOREIGN),
        (bytes(1022) + b"\1", Verdict.FOREIGN),
    ],
)
def test_reference_judge(data: bytes | None, verdict: Verdict) -> None:
    assert judge(data) is verdict


def test_the_zero_unique_byte_case_really_has_a_good_checksum() -> None:
    data = bytes(VALID[:50]) + b"\0" + VALID[51:1022] + bytes([(VALID[1022] + 0x5A) & 0xFF])
    assert sum(data) % 256 == 0 and data[50] == 0


def test_every_verdict_has_a_meaning() -> None:
    assert all(verdict.meaning for verdict in Verdict)


@pytest.mark.parametrize(
    ("offset", "flaw"),
    [
        (scripture.PARSER_OFFSET, Flaw.PARSER),
        (scripture.UNIQUE_OFFSET, Flaw.UNIQUE),
        (scripture.ZEROS_OFFSET + 500, Flaw.ZEROS),
        (scripture.CHECKSUM_OFFSET, Flaw.CHECKSUM),
    ],
)
def test_a_false_teaching_names_the_first_check_it_fails(offset: int, flaw: Flaw) -> None:
    data = bytearray(reference.build(0x42))
    data[offset] = 0 if offset == scripture.UNIQUE_OFFSET else data[offset] ^ 0x01
    if flaw is not Flaw.CHECKSUM:
        data[-1] = scripture.checksum_byte(bytes(data[:-1]))
    assert judgement(bytes(data)) == (Verdict.FALSE, flaw)
    assert spoken_line(bytes(data)) == f"False teaching (invalid {flaw.value}): destroyed unread"


def test_every_verdict_has_its_words() -> None:
    valid = reference.build(0x42)
    assert spoken_line(valid) is None  # the creed and instance lines instead
    assert spoken_line(None) == "No scripture here"
    assert spoken_line(b"letter") == "Not a scripture: left untouched"
    assert spoken_line(valid + b"\0") == "Violation of the gap: destroyed unread"
    assert spoken_line(valid[:-1]) == "False teaching (invalid size): destroyed unread"
    assert spoken_line(bytes(scripture.SIZE)) == "Interrupted liturgy completed"


@pytest.mark.parametrize(
    ("count", "values"),
    [(255, list(range(1, 256))), (300, list(range(1, 256))), (3, [1, 128, 255]), (2, [1, 255]), (1, [1])],
)
def test_fewer_unique_bytes_are_spread_over_the_range(count: int, values: list[int]) -> None:
    assert spread(count, 1, 255) == values
