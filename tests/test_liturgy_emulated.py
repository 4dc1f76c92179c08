"""ALMOST.COM under the Unicorn DOS machine: every row of the exit-code table."""

from __future__ import annotations

import pytest

from almostism_dos import scripture
from almostism_dos.reference import build, judge
from almostism_dos.scripture import CREED_LINE, SCRIPTURE_FILE, Verdict
from tests.conftest import RunLiturgy
from vm.dos import Disk, Stop


def disk_with(data: bytes, name: str = SCRIPTURE_FILE, **faults: object) -> Disk:
    disk = Disk(**faults)  # type: ignore[arg-type]
    disk.add(name, data)
    disk.add("OTHER.TXT", b"a bystander that must never change")
    return disk


def hostile(length: int = 1023) -> bytes:
    """A scripture-shaped file whose code would announce itself if it ever ran."""
    body = bytearray(build(0x42))
    # mov ah,9 / mov dx,... is enough: any byte executed in the buffer is caught by the watch anyway.
    body[8:14] = bytes.fromhex("b409 ba0000 cd21")[:6]
    body[1022] = scripture.checksum_byte(bytes(body[:1022]))
    return bytes(body[:length]) + bytes(max(0, length - 1023))


def assert_bystander_untouched(disk: Disk) -> None:
    assert disk.files["OTHER.TXT"].data == b"a bystander that must never change"


def test_valid_scripture_completes_and_vanishes(run_liturgy: RunLiturgy, buffer_range: range) -> None:
    disk = disk_with(build(0xA7))
    result = run_liturgy(disk)
    assert (result.stop, result.exit_code) == (Stop.EXIT, 0)
    assert SCRIPTURE_FILE not in disk.files
    assert result.output.startswith(f"{CREED_LINE}\r\nInstance byte: 0xA7\r\n")
    # The scripture's own parser ran, and nothing else in the buffer did.
    offsets = {address - buffer_range.start for address in result.executed_watch}
    assert offsets and min(offsets) == 8 and max(offsets) < 50
    assert_bystander_untouched(disk)


def test_parser_zeroes_before_deleting(run_liturgy: RunLiturgy) -> None:
    calls = run_liturgy(disk_with(build(9))).int21_calls
    disk = disk_with(build(9))
    cut = run_liturgy(disk, cut_after=calls.index(0x40) + 1)  # power cut right after the write
    assert cut.stop == Stop.CUT and cut.int21_calls[-1] == 0x40
    assert bytes(disk.files[SCRIPTURE_FILE].data) == bytes(1023)


def test_missing_file_exits_1(run_liturgy: RunLiturgy) -> None:
    disk = Disk()
    result = run_liturgy(disk)
    assert (result.stop, result.exit_code) == (Stop.EXIT, 1)
    assert disk.files == {}


def test_missing_directory_exits_1(run_liturgy: RunLiturgy) -> None:
    result = run_liturgy(Disk(), " NOWHERE\\SCRIPTUR.ALM")
    assert (result.stop, result.exit_code) == (Stop.EXIT, 1)


@pytest.mark.parametrize("content", [b"Hello, DOS.\r\n", b"", bytes(1022), bytes(1024), b"\xfe\x0d\xca"])
def test_ordinary_file_is_untouched(run_liturgy: RunLiturgy, content: bytes) -> None:
    disk = disk_with(content)
    result = run_liturgy(disk)
    assert (result.stop, result.exit_code) == (Stop.EXIT, 2)
    assert bytes(disk.files[SCRIPTURE_FILE].data) == content
    assert result.executed_watch == set()


def test_the_husk_of_a_cut_liturgy_is_deleted_with_6(run_liturgy: RunLiturgy) -> None:
    disk = disk_with(bytes(1023))
    result = run_liturgy(disk)
    assert (result.stop, result.exit_code) == (Stop.EXIT, 6)
    assert SCRIPTURE_FILE not in disk.files and result.executed_watch == set()
    assert_bystander_untouched(disk)


def test_read_only_ordinary_file_still_gets_2(run_liturgy: RunLiturgy) -> None:
    disk = Disk()
    disk.add(SCRIPTURE_FILE, b"plain text", read_only=True)
    assert run_liturgy(disk).exit_code == 2
    assert bytes(disk.files[SCRIPTURE_FILE].data) == b"plain text"


@pytest.mark.parametrize("length", [1024, 4096])
def test_gap_violation_is_destroyed_unrun(run_liturgy: RunLiturgy, length: int) -> None:
    disk = disk_with(hostile(length))
    result = run_liturgy(disk)
    assert (result.stop, result.exit_code) == (Stop.EXIT, 3)
    assert SCRIPTURE_FILE not in disk.files
    assert result.executed_watch == set(), "bytes of an unverified file were executed"
    assert_bystander_untouched(disk)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(hostile(), id="foreign-parser"),
        pytest.param(bytes(build(5)[:1022]) + bytes([(build(5)[1022] + 1) & 0xFF]), id="bad-checksum"),
        pytest.param(
            bytes(build(5)[:30]) + bytes([build(5)[30] ^ 4]) + build(5)[31:], id="flipped-parser-byte"
        ),
        pytest.param(build(5)[:1022], id="1022-bytes"),
    ],
)
def test_false_teaching_is_destroyed_unrun(run_liturgy: RunLiturgy, data: bytes) -> None:
    assert judge(data) is Verdict.FALSE
    disk = disk_with(data)
    result = run_liturgy(disk)
    assert (result.stop, result.exit_code) == (Stop.EXIT, 4)
    assert SCRIPTURE_FILE not in disk.files
    assert result.executed_watch == set(), "bytes of an unverified file were executed"


def test_write_protected_disk_exits_5_intact_without_prompting(run_liturgy: RunLiturgy) -> None:
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


def test_read_only_scripture_exits_5_intact(run_liturgy: RunLiturgy) -> None:
    data = build(0x37)
    disk = Disk()
    disk.add(SCRIPTURE_FILE, data, read_only=True)
    result = run_liturgy(disk)
    assert result.exit_code == 5 and "I/O failure: open" in result.output
    assert bytes(disk.files[SCRIPTURE_FILE].data) == data


def test_directory_named_like_the_scripture_exits_5(run_liturgy: RunLiturgy) -> None:
    disk = Disk(directories={SCRIPTURE_FILE})
    result = run_liturgy(disk)
    assert result.exit_code == 5 and "I/O failure: open" in result.output


@pytest.mark.parametrize("tail", [" SUB\\HOLY.ALM", "\tSUB\\HOLY.ALM  extra words", "   sub\\holy.alm"])
def test_path_from_the_command_tail(run_liturgy: RunLiturgy, tail: str) -> None:
    disk = disk_with(build(0x44), name="SUB\\HOLY.ALM")
    disk.directories.add("SUB")
    disk.add(SCRIPTURE_FILE, build(0x45))
    result = run_liturgy(disk, tail)
    assert result.exit_code == 0 and "0x44" in result.output
    assert "SUB\\HOLY.ALM" not in disk.files and SCRIPTURE_FILE in disk.files


def test_blank_tail_means_the_default_name(run_liturgy: RunLiturgy) -> None:
    disk = disk_with(build(0x46))
    assert run_liturgy(disk, "    ").exit_code == 0
    assert SCRIPTURE_FILE not in disk.files


def test_tail_of_127_characters_without_terminator(run_liturgy: RunLiturgy) -> None:
    result = run_liturgy(disk_with(build(1)), " " + "A" * 126)
    assert (result.stop, result.exit_code) == (Stop.EXIT, 1)


def test_leftover_memory_cannot_pass_for_a_creed(run_liturgy: RunLiturgy, buffer_range: range) -> None:
    # The read buffer still holds a scripture from an earlier run; a 5-byte file that starts like
    # the creed must not borrow the rest of it.
    memory = bytearray(b"\xcc" * 0x10000)
    memory[buffer_range.start : buffer_range.start + 1023] = build(3)
    disk = disk_with(build(3)[:5])
    result = run_liturgy(disk, memory_fill=bytes(memory))
    assert result.exit_code == 2 and bytes(disk.files[SCRIPTURE_FILE].data) == build(3)[:5]
