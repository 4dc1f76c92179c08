"""The verdict whole on a raw emulator console, booted as a user or a CI harness types it, not by `run`.

``qemu-system-i386 -nographic`` shows the screen through SeaBIOS's serial console, which sends what the
screen got lazily, on a later timer tick or at the next character; the host's power-off came first, and
a harness that grepped ``errorlevel=0`` read ``ALMOSTISM RESULT errorlevel=`` with no digit (10 of 10).
The guest now hands the mirror a backspace before it switches off (``asm/apm.inc``), which a screen
ignores at column 0 and SeaBIOS answers by sending what it held.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from almostism_dos.cli import main
from almostism_dos.formats import FORMATS
from almostism_dos.pytest_plugin import EmulatorUnderTest
from almostism_dos.result_line import RESULT_PREFIX

pytestmark = pytest.mark.vm

WHOLE = re.compile(rb"^" + re.escape(RESULT_PREFIX.encode()) + rb"0\r?$", re.M)
USB = "-usb -device usb-ehci,id=ehci -drive if=none,id=stick,format=raw,file={image} " + (
    "-device usb-storage,bus=ehci.0,drive=stick,bootindex=0"
)
DRIVES = {
    "floppy": "-drive file={image},format=raw,if=floppy -boot a",
    "disk": "-drive file={image},format=raw,if=ide -boot c",
    "usb": USB,
}


def raw_boot(image: Path, drive: str) -> bytes:
    """What ``qemu-system-i386 -nographic ... -no-reboot`` writes through a pipe, booting ``image`` until
    it switches itself off."""
    qemu = shutil.which("qemu-system-i386")
    assert qemu is not None
    arguments = ["-nographic", *DRIVES[drive].format(image=image).split(), "-no-reboot"]
    done = subprocess.run([qemu, *arguments], capture_output=True, stdin=subprocess.DEVNULL, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def build(image: Path, *options: str) -> Path:
    assert main(["build", "-o", str(image), "--unique-byte", "0x33", "--linger", "0", *options]) == 0
    return image


@pytest.mark.parametrize("kilobytes", list(FORMATS))
def test_the_self_booting_floppy_shows_its_whole_result_line(
    qemu: EmulatorUnderTest, tmp_path: Path, kilobytes: int
) -> None:
    image = build(tmp_path / "a.img", "--boot", "embedded", "--size", str(kilobytes))
    shown = raw_boot(image, "floppy")
    assert WHOLE.search(shown), shown[-200:]


@pytest.mark.parametrize(
    ("media", "drive"), [("floppy", "disk"), ("floppy", "usb"), ("disk", "disk"), ("disk", "usb")]
)
def test_as_a_hard_disk_and_a_usb_stick_too(
    qemu: EmulatorUnderTest, tmp_path: Path, media: str, drive: str
) -> None:
    image = build(tmp_path / "a.img", "--boot", "embedded", "--media", media)
    shown = raw_boot(image, drive)
    assert WHOLE.search(shown), shown[-200:]


@pytest.mark.freedos
@pytest.mark.parametrize(("media", "drive"), [("floppy", "floppy"), ("disk", "disk"), ("disk", "usb")])
def test_freedos_shows_its_whole_result_line(
    qemu: EmulatorUnderTest, configured_freedos: Path, tmp_path: Path, media: str, drive: str
) -> None:
    image = build(tmp_path / "a.img", "--freedos", str(configured_freedos), "--media", media)
    shown = raw_boot(image, drive)
    assert WHOLE.search(shown), shown[-200:]
