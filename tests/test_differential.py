"""Differential fuzzing: ALMOST.COM in the Unicorn DOS machine against the reference judge.

For every case the exit code must be the judge's verdict, and the line ALMOST.COM prints before acting
must be the judge's words for it (which check failed, for a false teaching).
"""

from __future__ import annotations

from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from almostism_dos import scripture
from almostism_dos.scripture import CREED_LINE, SCRIPTURE_FILE, Verdict, judgement, spoken_line
from tests.conftest import RunLiturgy, fuzz_examples
from vm.dos import Disk, Stop

EXAMPLES = fuzz_examples("ALMOSTISM_FUZZ_EXAMPLES")
FUZZ = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@st.composite
def mutated_scriptures(draw: st.DrawFn) -> bytes:
    """A real scripture, then a few edits, with the checksum repaired half of the time."""
    data = bytearray(scripture.build(draw(st.integers(1, 255))))
    for _ in range(draw(st.integers(0, 3))):
        edit = draw(st.sampled_from(["flip", "set", "truncate", "extend", "insert", "delete"]))
        offset = draw(st.integers(0, max(0, len(data) - 1)))
        if edit == "flip" and data:
            data[offset] ^= 1 << draw(st.integers(0, 7))
        elif edit == "set" and data:
            data[offset] = draw(st.integers(0, 255))
        elif edit == "truncate":
            del data[offset:]
        elif edit == "extend":
            data += draw(st.binary(min_size=1, max_size=64))
        elif edit == "insert":
            data[offset:offset] = draw(st.binary(min_size=1, max_size=4))
        elif edit == "delete" and data:
            del data[offset : offset + draw(st.integers(1, 4))]
    if len(data) == scripture.SIZE and draw(st.booleans()):
        data[-1] = scripture.checksum_byte(bytes(data[:-1]))
    return bytes(data)


files = st.one_of(
    mutated_scriptures(),
    st.binary(max_size=1100),
    st.binary(min_size=1015, max_size=1030).map(lambda tail: scripture.CREED + tail[8:]),
)


def _edited(offset: int, value: int, repair: bool = True) -> bytes:
    """The scripture with one byte set, its checksum repaired unless told not to."""
    data = bytearray(scripture.build(0x42))
    data[offset] = value
    if repair:
        data[-1] = scripture.checksum_byte(bytes(data[:-1]))
    return bytes(data)


@FUZZ
@given(data=files)
@example(data=_edited(scripture.UNIQUE_OFFSET, 0))  # every words the judge has, at least once
@example(data=_edited(scripture.CHECKSUM_OFFSET, 0, repair=False))
@example(data=_edited(scripture.PARSER_OFFSET + 1, 0x90))
@example(data=_edited(600, 1))
@example(data=bytes(scripture.SIZE))
@example(data=scripture.build(0x42)[:-1])
@example(data=scripture.build(0x42) + b"\0")
@example(data=b"an ordinary file\r\n")
def test_emulated_almost_com_agrees_with_the_reference_judge(run_liturgy: RunLiturgy, data: bytes) -> None:
    disk = Disk()
    disk.add(SCRIPTURE_FILE, data)
    result = run_liturgy(disk)
    verdict, flaw = judgement(data)
    event(f"verdict {verdict.name}" + (f" ({flaw.value})" if flaw else ""))
    assert (result.stop, result.exit_code) == (Stop.EXIT, verdict.value)
    assert result.output.split("\r\n")[0] == (spoken_line(data) or CREED_LINE)
    if verdict is Verdict.FOREIGN:
        assert bytes(disk.files[SCRIPTURE_FILE].data) == data
    else:
        assert SCRIPTURE_FILE not in disk.files
    if verdict is not Verdict.COMPLETE:
        assert result.executed_watch == set()
