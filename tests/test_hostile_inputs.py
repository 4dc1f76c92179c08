"""Every input is hostile: images, paths, ports and signals give one line and a sysexits code (or the
verdict), reads are bounded, nothing is written through a link, nothing is left behind, no traceback.

Each test is one finding of a review with hostile inputs, reproduced before it was fixed.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from almostism_dos import floppy as floppy_module
from almostism_dos import freedos, reference, scripture
from almostism_dos.cli import ExitCode, main
from almostism_dos.emulators import TIMEOUT
from almostism_dos.fat12 import ATTR_ARCHIVE, Fat12Image, ImageError, directory_entry
from almostism_dos.formats import (
    BOOT_SIGNATURE,
    DIRECTORY_ENTRY,
    FORMATS,
    LARGEST_IMAGE,
    SECTOR,
    SIGNATURE_OFFSET,
)
from almostism_dos.image import ImageFile
from almostism_dos.inputs import InputError, InputTooLarge, read_head, read_input
from almostism_dos.pytest_plugin import EmulatorUnderTest
from almostism_dos.web import serve as web_serve
from tests.images import embedded_image, fake_freedos_image, self_booting, set_bpb


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    """Standard error, which must be exactly one line and no traceback."""
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "Traceback" not in error, error
    return error


# --- the FAT's size: 681 clusters need 1,025 bytes of FAT, not 1,024 --------------------------------


def odd_fat_image(clusters: int) -> bytes:
    """A FAT12 volume of ``clusters`` one-sector clusters with two 2-sector FATs and a 1-sector root,
    a file in its root whose chain starts at the highest cluster."""
    data_start = 1 + 2 * 2 + 1
    image = bytearray((data_start + clusters) * SECTOR)
    image[0:3] = b"\xeb\x3c\x90"
    set_bpb(
        image, bytes_per_sector=SECTOR, sectors_per_cluster=1, reserved_sectors=1, fat_count=2,
        root_entries=16, total_sectors_16=data_start + clusters, media=0xF0, sectors_per_fat=2,
    )  # fmt: skip
    image[SIGNATURE_OFFSET:SECTOR] = BOOT_SIGNATURE
    root = 5 * SECTOR
    highest = clusters + 1
    image[root : root + DIRECTORY_ENTRY] = directory_entry("HIGH.BIN", ATTR_ARCHIVE, highest, 10)
    return bytes(image)


def test_a_fat_one_byte_too_small_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert Fat12Image.parse(odd_fat_image(680)).find("HIGH.BIN") is not None  # 1,023 bytes: it fits
    with pytest.raises(ImageError, match="FAT is too small"):
        Fat12Image.parse(odd_fat_image(681))
    path = tmp_path / "odd.img"
    path.write_bytes(odd_fat_image(681))
    assert main(["inspect", str(path)]) == ExitCode.DATA
    assert "FAT is too small" in one_line_error(capsys)
    assert main(["freedos", "import", str(path)]) == ExitCode.DATA
    one_line_error(capsys)
    assert main(["build", "-o", str(tmp_path / "out.img"), "--freedos", str(path)]) == ExitCode.DATA
    one_line_error(capsys)


# --- unbounded reads ----------------------------------------------------------------------------------


@pytest.fixture
def sparse(tmp_path: Path) -> Path:
    """A 3 GB sparse file that starts with the creed (it takes no room on the disk)."""
    path = tmp_path / "sparse.img"
    with open(path, "wb") as file:
        file.write(scripture.CREED)
        file.truncate(3 * 1024**3)
    return path


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    """A named pipe nobody writes to: reading it would wait forever."""
    path = tmp_path / "pipe.img"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("command", [["inspect"], ["run", "--emulator", "qemu"], ["freedos", "import"]])
def test_a_device_a_pipe_and_a_huge_file_are_refused_in_one_line(
    command: list[str], sparse: Path, fifo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data_error = ExitCode.DATA
    for path, code in ((Path("/dev/zero"), None), (fifo, None), (sparse, data_error)):
        started = time.monotonic()
        returned = main([*command, str(path)])
        line = one_line_error(capsys)
        assert time.monotonic() - started < 10  # refused, not read
        if command[0] == "freedos":
            assert returned == ExitCode.DATA
        else:
            assert returned == (code or ExitCode.NO_INPUT)
        too_large = (
            "more than any floppy image" if command[0] == "freedos" else "more than any floppy or disk image"
        )
        assert (too_large if path == sparse else "not a regular file") in line


def test_build_from_a_huge_freedos_is_refused(
    sparse: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["build", "-o", str(tmp_path / "a.img"), "--freedos", str(sparse)]) == ExitCode.DATA
    assert "more than any floppy image" in one_line_error(capsys)
    assert not (tmp_path / "a.img").exists()


def test_a_freedos_directory_with_a_huge_kernel_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "fd"
    source.mkdir()
    with open(source / "KERNEL.SYS", "wb") as kernel:
        kernel.truncate(3 * 1024**3)
    (source / "COMMAND.COM").write_bytes(b"shell")
    boot = bytearray(SECTOR)
    boot[100:111], boot[SIGNATURE_OFFSET:SECTOR] = b"KERNEL  SYS", BOOT_SIGNATURE
    (source / "BOOT.BIN").write_bytes(bytes(boot))
    with pytest.raises(freedos.FreeDosError, match="more than any file on a floppy"):
        freedos.load(source)


def test_verify_reads_only_what_almost_com_reads(
    sparse: Path, fifo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["verify", str(sparse)]) == scripture.Verdict.GAP  # 3 GB with the creed: as ALMOST.COM judges
    assert main(["verify", "/dev/zero"]) == scripture.Verdict.IO
    assert "not a regular file" in capsys.readouterr().out
    assert main(["verify", str(fifo)]) == scripture.Verdict.IO


def test_read_input_bounds(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(bytes(100))
    assert read_input(path, 100, "thing") == bytes(100)
    with pytest.raises(InputTooLarge, match=r"101 bytes|100 bytes, more"):
        read_input(path, 99, "thing")
    assert read_head(path, 10) == bytes(10)
    with pytest.raises(InputError, match="is a directory"):
        read_input(tmp_path, 100, "thing")
    assert LARGEST_IMAGE == 2880 * 1024


# --- what an image holds never reaches the terminal raw ---------------------------------------------


def test_inspect_escapes_control_characters_from_the_image(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = bytearray(embedded_image(reference.build(1), extra=[ImageFile("EVIL.TXT", b"x")]))
    parsed = Fat12Image.parse(bytes(image))
    entry = parsed.find("EVIL.TXT")
    assert entry is not None
    image[entry.offset : entry.offset + 8] = b"\x1b[2J\x07\r\x9b "  # ESC [2J, BEL, CR, a C1 CSI in cp437
    path = tmp_path / "evil.img"
    path.write_bytes(bytes(image))
    assert main(["inspect", str(path)]) == 0
    shown = capsys.readouterr().out
    assert "\x1b" not in shown and "\x07" not in shown and "\r" not in shown
    assert "\\x1b[2J\\x07\\x0d" in shown


# --- web -o DIR: no link is written through, the site appears whole or not at all --------------------


@pytest.fixture
def floppy(tmp_path: Path) -> Path:
    path = tmp_path / "a.img"
    self_booting(path, 3)
    return path


@pytest.mark.parametrize("force", [False, True])
def test_web_writes_through_no_link(
    floppy: Path, tmp_path: Path, force: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    victim = elsewhere / "victim.html"
    victim.write_text("mine")
    layouts: dict[str, Callable[[Path], None]] = {
        "floppy.img": lambda site: (site / "floppy.img").symlink_to(elsewhere / "dangling.img"),
        "bios": lambda site: (site / "bios").symlink_to(elsewhere),
        "index.html": lambda site: (site / "index.html").symlink_to(victim),
    }
    for name, make in layouts.items():
        site = tmp_path / f"site-{name}"
        site.mkdir()
        make(site)
        assert (
            main(["web", str(floppy), "-o", str(site), *(["--force"] if force else [])])
            == ExitCode.CANT_CREATE
        )
        assert "symbolic link" in one_line_error(capsys)
        assert sorted(p.name for p in elsewhere.iterdir()) == ["victim.html"] and victim.read_text() == "mine"
    linked = tmp_path / "linked-site"
    linked.symlink_to(elsewhere)
    assert main(["web", str(floppy), "-o", str(linked)]) == ExitCode.CANT_CREATE
    one_line_error(capsys)
    assert sorted(p.name for p in elsewhere.iterdir()) == ["victim.html"]


def test_a_failed_site_leaves_nothing(floppy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from almostism_dos.web import site as web_site
    from almostism_dos.web.v86 import V86Unavailable

    def offline() -> None:
        raise V86Unavailable("npm pack failed (offline?)")

    monkeypatch.setattr(web_site, "obtain", offline)
    monkeypatch.setattr(web_site, "_BIOS_FILES", {"bios/seabios.bin": floppy, "bios/vgabios.bin": floppy})
    parent = tmp_path / "out"
    parent.mkdir()
    assert main(["web", str(floppy), "-o", str(parent / "site")]) == ExitCode.UNAVAILABLE
    assert list(parent.iterdir()) == []  # no half-written site, no staging directory
    existing = parent / "old"
    existing.mkdir()
    (existing / "notes.txt").write_text("mine")
    assert main(["web", str(floppy), "-o", str(existing)]) == ExitCode.UNAVAILABLE
    assert [p.name for p in existing.iterdir()] == ["notes.txt"]


# --- web --serve ---------------------------------------------------------------------------------------


def test_a_busy_port_and_an_impossible_one_are_one_line(
    floppy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as usage:
        main(["web", str(floppy), "--serve", "--port", "70000"])
    assert usage.value.code == ExitCode.USAGE
    assert "not a TCP port" in one_line_error(capsys)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        with pytest.raises(web_serve.ServeError, match=r"cannot listen on 127\.0\.0\.1"):
            web_serve.server(floppy.parent, taken.getsockname()[1])


def request(port: int, raw: bytes) -> bytes:
    """Send ``raw`` to the server on ``port``; its whole answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(raw)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


def test_the_server_answers_only_what_it_should(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bios").mkdir()
    (tmp_path / "bios" / "seabios.bin").write_bytes(b"bios")
    (tmp_path / "index.html").write_text("page")
    monkeypatch.setattr(web_serve._SiteHandler, "timeout", 0.5)
    with web_serve.serving(tmp_path) as running:
        port = running.server_address[1]
        host = f"Host: 127.0.0.1:{port}\r\n".encode()

        def get(path: str, headers: bytes = host) -> bytes:
            return request(port, b"GET " + path.encode() + b" HTTP/1.0\r\n" + headers + b"\r\n")

        assert get("/index.html").startswith(b"HTTP/1.0 200") and get("/index.html").endswith(b"page")
        assert b"\r\nCache-Control: no-store\r\n" in get("/index.html")  # served again: never the old image
        stamp = b"If-Modified-Since: Tue, 01 Jan 2999 00:00:00 GMT\r\n"
        assert b"\r\nCache-Control: no-store\r\n" in get("/index.html", host + stamp)  # a 304 as well
        assert get("/index.html", f"Host: localhost:{port}\r\n".encode()).startswith(b"HTTP/1.0 200")
        assert get("/bios/").startswith(b"HTTP/1.0 404")  # no listing
        assert get("/%00").startswith(b"HTTP/1.0 400")
        assert get("/index.html", b"Host: rebound.example\r\n").startswith(b"HTTP/1.0 403")
        assert get("/index.html", b"").startswith(b"HTTP/1.0 403")  # no Host: not addressed to us
        twice = host + b"Host: rebound.example\r\n"  # two: not judged by the first
        assert get("/index.html", twice).startswith(b"HTTP/1.0 403")
        assert get("/index.html", b"Host: rebound.example\r\n" + host).startswith(b"HTTP/1.0 403")
        assert running.socket.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) == 1
        assert web_serve._SiteServer.request_queue_size >= 128  # (socketserver's 5 made connects wait 1 s)
        for _ in range(3):  # clients that hang up at once, or mid-request
            with socket.create_connection(("127.0.0.1", port)) as rude:
                rude.sendall(b"GET /index.html HTTP/1.1\r\n")
        with socket.create_connection(("127.0.0.1", port), timeout=10) as idle:
            started = time.monotonic()
            assert idle.recv(1) == b""  # closed by the server, not by us
            assert time.monotonic() - started < 5
    assert "Traceback" not in capfd.readouterr().err


def web_site_ready() -> None:
    """Skip unless a site can be written here (v86 by npm, Debian's SeaBIOS and VGA BIOS)."""
    from almostism_dos.web import site as web_site
    from almostism_dos.web.v86 import V86Unavailable, obtain

    try:
        obtain()
    except V86Unavailable as reason:
        pytest.skip(str(reason))
    if not all(path.is_file() for path in web_site._BIOS_FILES.values()):
        pytest.skip("Debian's seabios and vgabios are not installed")


@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGHUP", "SIGINT"])
@pytest.mark.usefixtures("ctrl_c_reaches_children")
def test_serve_cleans_up_whatever_stops_it(floppy: Path, tmp_path: Path, signal_name: str) -> None:
    import signal

    web_site_ready()
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    command = [sys.executable, "-m", "almostism_dos", "web", str(floppy), "--serve", "--port", "0"]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(scratch)},
    )
    try:
        assert process.stdout is not None and process.stdout.readline().startswith(
            "serving http://127.0.0.1:"
        )
        assert len(list(scratch.iterdir())) == 1  # the temporary site, with its copy of the floppy
        process.send_signal(getattr(signal, signal_name))
        code = process.wait(timeout=10)
        assert process.stderr is not None
        assert (code, process.stderr.read()) == (0, "")
        assert list(scratch.iterdir()) == []
    finally:
        process.kill()
        process.wait()


# --- run: stopped by a signal ------------------------------------------------------------------------


def processes_naming(path: Path) -> list[str]:
    """The command lines of the processes that name ``path`` (an emulator still running on it), read
    from /proc: no procps (pgrep) on a minimal machine, and setup.sh does not install it."""
    named = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            words = cmdline.read_bytes().split(b"\0")
        except OSError:  # (the process ended meanwhile)
            continue
        if any(os.fsencode(path) in word for word in words):
            named.append(b" ".join(words).decode(errors="replace"))
    return named


@pytest.mark.vm
@pytest.mark.parametrize("emulator_name", ["qemu", "bochs"])
@pytest.mark.parametrize("signal_name", ["SIGINT", "SIGTERM", "SIGHUP"])
@pytest.mark.usefixtures("ctrl_c_reaches_children")
def test_a_run_stopped_by_a_signal_says_so_in_one_line_and_leaves_nothing_running(
    request: pytest.FixtureRequest, tmp_path: Path, emulator_name: str, signal_name: str
) -> None:
    """Ctrl-C, a CI job's SIGTERM or a closed terminal's SIGHUP in the middle of a boot: the emulator is
    stopped and the temporary files removed; one line, and 128 + the signal's number, as a shell reports
    a process the signal ended. (It was a KeyboardInterrupt traceback, or no word at all.)"""
    import signal

    request.getfixturevalue(emulator_name)  # (skipped, saying why, where the emulator is missing)
    image = tmp_path / "busy.img"  # an ALMOST.COM that says so, then runs on forever: still booting then
    busy = bytes.fromhex("b409 ba0901 cd21 ebfe") + b"STILL BOOTING\r\n$"  # print at 109h, then jmp $
    files = [ImageFile("ALMOST.COM", busy), ImageFile(scripture.SCRIPTURE_FILE, reference.build(0x4E))]
    image.write_bytes(floppy_module.embedded_image(FORMATS[1440], files, 0))
    scratch = Path(tempfile.mkdtemp(prefix="almostism-test-"))  # (short: QEMU's socket lives in it)
    command = [sys.executable, "-m", "almostism_dos", "run", str(image), "--emulator", emulator_name]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "TMPDIR": str(scratch)},
    )  # fmt: skip
    try:
        assert process.stdout is not None
        for line in process.stdout:  # (the key our tools press at a result line never ends this boot)
            if line.startswith("STILL BOOTING"):
                break
        process.send_signal(getattr(signal, signal_name))
        _, error = process.communicate(timeout=TIMEOUT)
        number = getattr(signal, signal_name)
        words = f"almostism-dos: stopped by {signal_name}{' (Ctrl-C)' if signal_name == 'SIGINT' else ''}\n"
        assert (process.returncode, error) == (128 + number, words)
        deadline = time.monotonic() + 10  # (the emulator's own exit, once it has been told)
        while processes_naming(image) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert processes_naming(image) == []
        assert list(scratch.iterdir()) == []
    finally:
        process.kill()
        process.wait()
        shutil.rmtree(scratch)


def test_qemu_runs_under_a_temporary_directory_too_deep_for_its_socket(
    qemu: EmulatorUnderTest, floppy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A TMPDIR so deep that the QMP socket's path would pass AF_UNIX's 107 bytes: binding it raised
    "AF_UNIX path too long" (a traceback, under pytest's own per-test directories). QEMU's scratch
    directory goes to /tmp instead, and the boot is as any other."""
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(deep))
    report = qemu.run(floppy)
    assert report.errorlevel == 0 and report.vanished, report.reason
    assert list(deep.iterdir()) == []


# --- run: paths, links and screenshots -------------------------------------------------------------


def test_qemu_doubles_every_comma_in_a_path() -> None:
    from almostism_dos.emulators.qemu_launch import drive_value

    assert drive_value(Path("/t/disk,snapshot=on.img")) == "/t/disk,,snapshot=on.img"


def test_bochs_puts_no_users_path_into_its_configuration() -> None:
    from almostism_dos.emulators import bochs

    with pytest.raises(ValueError, match="not a name"):
        bochs.configuration(Path('x"\nparport1: file="/etc/passwd'), Path("bochs.log"), kilobytes=1440)
    text = bochs.configuration(Path("floppy.img"), Path("bochs.log"), True, kilobytes=1440)
    assert 'floppya: 1_44="floppy.img", status=inserted, write_protected=1' in text


@pytest.mark.vm
def test_every_emulator_boots_a_path_with_a_comma_a_quote_a_newline_and_letters(
    any_emulator: EmulatorUnderTest, tmp_path: Path
) -> None:
    emulator = any_emulator
    folder = tmp_path / 'dir, with "quotes"\nand ünïcødé'
    folder.mkdir()
    image = folder / 'disk,snapshot=on "ü".img'
    self_booting(image, 5)
    report = emulator.run(image, timeout=TIMEOUT)
    assert report.errorlevel == 0 and report.vanished, report.reason
    assert not (folder / "disk").exists()  # no other file was booted or written


@pytest.mark.long
@pytest.mark.vm
def test_a_reader_that_goes_away_cuts_the_output_short_not_the_liturgy(
    any_emulator: EmulatorUnderTest, floppy: Path
) -> None:
    """``run IMG | head -1``: the boot goes on to its end and the image is judged; then one line and
    EX_IOERR, not a traceback from the live view's thread or from the last print (seen on all four)."""
    unread, output = os.pipe()
    os.close(unread)  # the reader has gone before the first line: every write meets a closed pipe
    try:
        done = subprocess.run(
            [sys.executable, "-m", "almostism_dos", "run", str(floppy), "--emulator", any_emulator.kind.name],
            stdout=output, stderr=subprocess.PIPE, text=True, timeout=2 * TIMEOUT,
        )  # fmt: skip
    finally:
        os.close(output)
    assert (done.returncode, done.stderr) == (
        ExitCode.IO_ERROR,
        "almostism-dos: error: standard output was closed before everything was written\n",
    )
    assert Fat12Image.parse(floppy.read_bytes()).find(scripture.SCRIPTURE_FILE) is None


def test_a_command_started_with_its_output_closed_says_so_in_one_line(floppy: Path) -> None:
    """``verify FILE >&-``: Python has no standard output at all; one line and EX_IOERR, no traceback."""
    done = subprocess.run(
        ["sh", "-c", 'exec "$@" >&-', "sh", sys.executable, "-m", "almostism_dos", "verify", str(floppy)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert (done.returncode, done.stderr) == (
        ExitCode.IO_ERROR,
        "almostism-dos: error: standard output was closed before everything was written\n",
    )


def test_run_refuses_a_linked_image_unless_it_boots_a_copy(
    floppy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    link = tmp_path / "link.img"
    link.symlink_to(floppy)
    before = floppy.read_bytes()
    assert main(["run", str(link)]) == ExitCode.CANT_CREATE
    assert "symbolic link" in one_line_error(capsys)
    assert floppy.read_bytes() == before


def test_screenshot_replaces_nothing_without_force_and_writes_through_no_link(
    floppy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    existing = tmp_path / "shot.png"
    existing.write_bytes(b"mine")
    assert main(["run", str(floppy), "--screenshot", str(existing)]) == ExitCode.CANT_CREATE
    assert "already exists" in one_line_error(capsys)
    link = tmp_path / "link.png"
    link.symlink_to(existing)
    assert main(["run", str(floppy), "--screenshot", str(link), "--force"]) == ExitCode.CANT_CREATE
    assert "symbolic link" in one_line_error(capsys)
    assert existing.read_bytes() == b"mine"


def play_qemu(tmp_path: Path, conversation: list[tuple[str, str]]) -> str | None:
    """Play QEMU's side of QMP against the watcher: each line QEMU says, then what it must be asked next.
    What the watcher heard QEMU refuse, once it has finished."""
    from almostism_dos.emulators.qemu import Qmp

    server = Qmp(tmp_path / "qmp.sock")
    saver = threading.Thread(target=server.at_shutdown, args=(tmp_path / "t.bin", tmp_path / "s.png", 10))
    saver.start()
    with socket.socket(socket.AF_UNIX) as qemu:
        qemu.connect(str(tmp_path / "qmp.sock"))
        replies = qemu.makefile("rw")
        for said, asked in conversation:
            replies.write(said + "\n")
            replies.flush()
            assert asked in replies.readline()
        replies.close()  # (with the socket: QEMU has quit)
    saver.join(10)
    assert not saver.is_alive()
    return server.error


def test_a_screendump_qemu_refuses_is_not_a_screenshot(tmp_path: Path) -> None:
    refused = play_qemu(
        tmp_path,
        [
            ('{"QMP": {}}', "qmp_capabilities"),
            ('{"return": {}}', "query-status"),
            ('{"return": {"status": "running"}}\n{"event": "SHUTDOWN"}', "pmemsave"),
            ('{"return": {}}', "screendump"),
            ('{"error": {"class": "GenericError", "desc": "no screen"}}', "quit"),
        ],
    )
    assert refused is not None and "no screen" in refused


@pytest.mark.parametrize(
    "answer",
    [
        '{"return": {"status": "shutdown"}}',  # switched off before the capabilities: no event will come
        '{"event": "SHUTDOWN"}\n{"return": {"status": "shutdown"}}',  # the event came before the answer
    ],
)
def test_a_guest_that_switched_off_before_the_watcher_asked_is_read_at_once(
    tmp_path: Path, answer: str
) -> None:
    refused = play_qemu(
        tmp_path,
        [
            ('{"QMP": {}}', "qmp_capabilities"),
            ('{"return": {}}', "query-status"),
            (answer, "pmemsave"),
            ('{"return": {}}', "screendump"),
            ('{"return": {}}', "quit"),
        ],
    )
    assert refused is None


@pytest.mark.vm
def test_an_emulator_that_refuses_to_start_says_so(
    floppy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from almostism_dos.emulators import bochs, emulator_class, qemu, qemu_launch
    from almostism_dos.emulators.base import RunOptions
    from almostism_dos.run import run_image

    monkeypatch.setattr(bochs, "_CONFIG", bochs._CONFIG + "no_such_option: 1\n")
    original = qemu_launch.command
    monkeypatch.setattr(qemu, "command", lambda *args: [*original(*args), "-no-such-option"])
    for name in ("bochs", "qemu"):
        kind = emulator_class(name)
        if kind.unavailable() is not None:
            continue
        started = time.monotonic()
        report = run_image(floppy, kind.configured(RunOptions()), timeout=TIMEOUT)
        assert time.monotonic() - started < 30
        assert report.reason is not None and "exited at once (exit code 1)" in report.reason
        assert "timed out" not in report.reason


def test_stopping_the_qmp_server_ends_its_wait_for_qemu(tmp_path: Path) -> None:
    """A QEMU that never connects (it refused to start) must not keep the QMP thread waiting: its
    ``accept`` ends when the wrapper stops listening, not at the boot's timeout."""
    from almostism_dos.emulators.qemu import Qmp

    qmp = Qmp(tmp_path / "qmp.sock")
    waiting = threading.Thread(
        target=qmp.at_shutdown, args=(tmp_path / "screen.bin", None, 60.0), daemon=True
    )
    waiting.start()
    qmp.stop()
    waiting.join(timeout=10)  # (a bound for a broken build, far below the 60 s it would wait)
    assert not waiting.is_alive()
    assert not (tmp_path / "screen.bin").exists()


def test_a_qmp_server_stopped_before_its_thread_runs_raises_nothing(tmp_path: Path) -> None:
    """QEMU can refuse to start before the QMP thread first runs; the wrapper then stops the server
    first. The thread must end quietly: an exception there is a traceback on the user's terminal."""
    from almostism_dos.emulators.qemu import Qmp

    qmp = Qmp(tmp_path / "qmp.sock")
    qmp.stop()
    qmp.at_shutdown(tmp_path / "screen.bin", None, 60.0)  # the thread's whole life, after the stop
    assert not (tmp_path / "screen.bin").exists()


# --- outputs keep the user's permissions -------------------------------------------------------------


def test_outputs_honour_the_umask_and_keep_a_replaced_files_mode(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        assert main(["build", "-o", str(tmp_path / "private.img"), "--boot", "embedded"]) == 0
    finally:
        os.umask(old)
    assert (tmp_path / "private.img").stat().st_mode & 0o777 == 0o600
    old = os.umask(0o022)
    try:
        assert main(["build", "-o", str(tmp_path / "private.img"), "--boot", "embedded", "--force"]) == 0
        assert (tmp_path / "private.img").stat().st_mode & 0o777 == 0o600  # replaced, mode kept
        assert main(["build", "-o", str(tmp_path / "shared.img"), "--boot", "embedded"]) == 0
    finally:
        os.umask(old)
    assert (tmp_path / "shared.img").stat().st_mode & 0o777 == 0o644


# --- npm and the v86 cache -----------------------------------------------------------------------------


def fake_npm(directory: Path, script: str, monkeypatch: pytest.MonkeyPatch) -> None:
    directory.mkdir()
    npm = directory / "npm"
    npm.write_text("#!/bin/sh\n" + script)
    npm.chmod(0o755)
    monkeypatch.setenv("PATH", f"{directory}:{os.environ['PATH']}")


@pytest.mark.usefixtures("private_cache")
def test_npm_speaking_bytes_that_are_not_utf8_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from almostism_dos.web import v86

    fake_npm(tmp_path / "bin", "printf 'npm error \\377\\376 broken\\n' >&2; exit 1\n", monkeypatch)
    with pytest.raises(v86.V86Unavailable, match="npm error") as raised:
        v86.obtain()
    assert "\n" not in str(raised.value)


@pytest.mark.usefixtures("private_cache")
def test_a_hanging_npm_is_killed_with_its_children(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from almostism_dos.web import v86

    pids = tmp_path / "pids"
    fake_npm(tmp_path / "bin", f"sleep 300 & echo $! > {pids}; sleep 300\n", monkeypatch)
    with pytest.raises(v86.V86Unavailable, match="no answer in 1 s"):
        v86.obtain(timeout=1)
    child = int(pids.read_text())
    for _ in range(50):
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)  # a killed process may take a moment to be reaped
    else:
        pytest.fail("npm's child is still running")


@pytest.mark.usefixtures("private_cache")
def test_a_tampered_v86_cache_is_not_copied_into_a_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from almostism_dos.web import v86

    cached = v86.V86(v86.cached())
    cached.directory.mkdir(parents=True)
    for name in v86.FILES:
        cached.path(name).write_bytes(b"tampered")
    with pytest.raises(v86.V86Unavailable, match="not the pinned"):
        cached.read("libv86.js")
    fake_npm(tmp_path / "bin", "echo 'npm error offline' >&2; exit 1\n", monkeypatch)
    with pytest.raises(v86.V86Unavailable, match="offline"):  # not trusted: fetched again (and that fails)
        v86.obtain()


# --- the browser -------------------------------------------------------------------------------------


def test_chromium_runs_sandboxed_unless_root(monkeypatch: pytest.MonkeyPatch) -> None:
    from almostism_dos.emulators import browser

    launched: list[list[str]] = []

    class FakeChromium:
        def launch(self, executable_path: str, args: list[str]) -> None:
            launched.append(args)

    class FakePlaywright:
        chromium = FakeChromium()

    for uid, expected in ((1000, []), (0, ["--no-sandbox"])):
        monkeypatch.setattr(os, "geteuid", lambda uid=uid: uid)
        browser.launch(FakePlaywright(), "/usr/bin/chromium")
        assert launched[-1] == expected


@pytest.mark.browser
def test_the_browser_writes_the_floppy_back_whole(browser: EmulatorUnderTest, floppy: Path) -> None:
    """The floppy as v86 left it replaces the image by a rename (a new file), never by writing into it."""
    before = floppy.stat().st_ino
    report = browser.run(floppy)
    assert report.errorlevel == 0 and report.vanished, report.reason
    assert floppy.stat().st_ino != before


def test_bochs_refuses_a_floppy_size_it_does_not_know(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from almostism_dos.emulators import bochs

    if bochs.Bochs.unavailable() is not None:
        pytest.skip(str(bochs.Bochs.unavailable()))
    odd = tmp_path / "odd.img"
    odd.write_bytes(odd_fat_image(600))
    assert main(["run", "--emulator", "bochs", str(odd)]) == ExitCode.DATA
    assert "no floppy size Bochs knows" in one_line_error(capsys)


def test_the_freedos_fake_is_still_read(tmp_path: Path) -> None:
    """(The bounded reads still read a real FreeDOS-shaped floppy whole.)"""
    assert freedos.load(fake_freedos_image(tmp_path / "fd.img")).shell.startswith(b"fabricated shell")


_KILLED_WHILE_LOADING = """
import importlib.abc, os, signal, sys
from almostism_dos import entry

class SigtermAtTheCommandLine(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "almostism_dos.cli":
            os.kill(os.getpid(), signal.SIGTERM)
        return None

sys.meta_path.insert(0, SigtermAtTheCommandLine())
sys.argv = ["almostism-dos", "--version"]
sys.exit(entry.console_main())
"""


def test_a_sigterm_while_the_command_loads_is_143_and_one_line() -> None:
    """A SIGTERM in a command's first 50 ms ended it as the signal's default does (-15): the handler came
    after the command line's imports. It is installed first now; here the signal arrives as the command
    line starts to load."""
    done = subprocess.run(
        [sys.executable, "-c", _KILLED_WHILE_LOADING], capture_output=True, text=True, timeout=60
    )
    assert (done.returncode, done.stderr) == (143, "almostism-dos: stopped by SIGTERM\n")


def test_the_entry_point_loads_nothing_before_its_handlers() -> None:
    probe = (
        "import sys; from almostism_dos import entry; "
        "print(sorted(name for name in sys.modules if name.startswith('almostism_dos')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "['almostism_dos', 'almostism_dos.entry', 'almostism_dos.stop_signals']"


_CTRL_C_AS_A_THREAD_STARTS = """
import os, signal, threading
from almostism_dos.stop_signals import start_thread

class Signalling(threading.Thread):
    def start(self):
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C, just as the start begins
        super().start()

held = []
thread = Signalling(target=lambda: held.append(signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, [])))
try:
    start_thread(thread)
except KeyboardInterrupt:
    thread.join()
    started = "after the start" if thread.ident is not None else "inside the start"
    print(started, "held" if held == [True] else "not held")
else:
    print("never")
"""


def test_a_ctrl_c_as_a_thread_starts_is_taken_once_it_has_started() -> None:
    """CI once met ``RuntimeError: release unlocked lock``, a traceback, for a Ctrl-C that landed inside
    ``Thread.start``'s wait; every thread of ours starts with the stop signals held, and keeps them held."""
    done = subprocess.run(
        [sys.executable, "-c", _CTRL_C_AS_A_THREAD_STARTS],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.stdout.split() == ["after", "the", "start", "held"], done.stderr
