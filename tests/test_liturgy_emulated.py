"""ALMOST.COM under the Unicorn DOS machine: the faults only a DOS written in Python can stage.

Every case a real disk can hold is a row of the fault matrix (vm/fault_matrix.py), which runs this
machine too and watches that no unverified byte of a file ever runs. Here: a power cut between the
write and the delete, refused and short writes, a refused delete, the answer ALMOST.COM's INT 24h handler
gives, and memory left over from an earlier run.
"""

from __future__ import annotations

from almostism_dos.reference import build
from almostism_dos.scripture import SCRIPTURE_FILE
from tests.conftest import RunLiturgy
from vm.dos import Disk, Stop


def disk_with(data: bytes, **faults: object) -> Disk:
    disk = Disk(**faults)  # type: ignore[arg-type]
    disk.add(SCRIPTURE_FILE, data)
    return disk


def test_parser_zeroes_before_deleting(run_liturgy: RunLiturgy) -> None:
    calls = run_liturgy(disk_with(build(9))).int21_calls
    disk = disk_with(build(9))
    cut = run_liturgy(disk, cut_after=calls.index(0x40) + 1)  # power cut right after the write
    assert cut.stop == Stop.CUT and cut.int21_calls[-1] == 0x40
    assert bytes(disk.files[SCRIPTURE_FILE].data) == bytes(1023)


def test_write_protected_disk_fails_through_our_int24_handler(run_liturgy: RunLiturgy) -> None:
    data = build(0x33)
    disk = disk_with(data, write_protected=True)
    result = run_liturgy(disk)
    assert (result.stop, result.exit_code) == (Stop.EXIT, 5)
    assert result.critical_errors == 1  # DOS asked INT 24h, ALMOST.COM's handler answered "fail"
    assert "I/O failure: write" in result.output
    assert bytes(disk.files[SCRIPTURE_FILE].data) == data


def test_refused_write_exits_5_intact(run_liturgy: RunLiturgy) -> None:
    data = build(0x34)
    disk = disk_with(data, refuse_write=True)
    result = run_liturgy(disk)
    assert result.exit_code == 5 and "I/O failure: write" in result.output
    assert bytes(disk.files[SCRIPTURE_FILE].data) == data


def test_short_write_on_a_full_disk_exits_5(run_liturgy: RunLiturgy) -> None:
    disk = disk_with(build(0x35), write_limit=512)
    result = run_liturgy(disk)
    assert result.exit_code == 5 and "I/O failure: write" in result.output
    assert SCRIPTURE_FILE in disk.files


def test_refused_delete_exits_5(run_liturgy: RunLiturgy) -> None:
    disk = disk_with(build(0x36), refuse_delete=True)
    result = run_liturgy(disk)
    assert result.exit_code == 5 and "I/O failure: delete" in result.output
    assert SCRIPTURE_FILE in disk.files


def test_leftover_memory_cannot_pass_for_a_creed(run_liturgy: RunLiturgy, buffer_range: range) -> None:
    # The read buffer still holds a scripture from an earlier run; a 5-byte file that starts like
    # the creed must not borrow the rest of it.
    memory = bytearray(b"\xcc" * 0x10000)
    memory[buffer_range.start : buffer_range.start + 1023] = build(3)
    disk = disk_with(build(3)[:5])
    result = run_liturgy(disk, memory_fill=bytes(memory))
    assert result.exit_code == 2 and bytes(disk.files[SCRIPTURE_FILE].data) == build(3)[:5]
