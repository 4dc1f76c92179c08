"""Differential fuzzing: ALMOST.COM in the Unicorn DOS machine against the reference judge.

For every case the exit code must be the judge's verdict, and the line ALMOST.COM prints before acting
must be the judge's words for it (which check failed, for a false teaching).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, event, example, given, settings

from almostism_dos import reference, scripture
from almostism_dos.reference import judgement, spoken_line
from almostism_dos.scripture import CREED_LINE, SCRIPTURE_FILE, Verdict
from tests.conftest import RunLiturgy, fuzz_examples
from tests.strategies import files
from vm.dos import Disk, Stop

EXAMPLES = fuzz_examples("ALMOSTISM_FUZZ_EXAMPLES")
FUZZ = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _edited(offset: int, value: int, repair: bool = True) -> bytes:
    """The scripture with one byte set, its checksum repaired unless told not to."""
    data = bytearray(reference.build(0x42))
    data[offset] = value
    if repair:
        data[-1] = scripture.checksum_byte(bytes(data[:-1]))
    return bytes(data)


@pytest.mark.long
@FUZZ
@given(data=files)
@example(data=_edited(scripture.UNIQUE_OFFSET, 0))  # every words the judge has, at least once
@example(data=_edited(scripture.CHECKSUM_OFFSET, 0, repair=False))
@example(data=_edited(scripture.PARSER_OFFSET + 1, 0x90))
@example(data=_edited(600, 1))
@example(data=bytes(scripture.SIZE))
@example(data=reference.build(0x42)[:-1])
@example(data=reference.build(0x42) + b"\0")
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
