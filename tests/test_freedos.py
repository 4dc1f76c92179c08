"""Getting FreeDOS: reading it from images and directories, locating it, importing and fetching it."""

from __future__ import annotations

import hashlib
import io
import socket
import subprocess
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from almostism_dos import freedos, reference
from almostism_dos.cli import ExitCode, main
from almostism_dos.fat12 import ATTR_HIDDEN, ATTR_READ_ONLY, ATTR_SYSTEM
from tests.images import (
    FAKE_BOOT,
    FAKE_KERNEL,
    FAKE_SHELL,
    empty_file,
    fake_freedos_image,
    fat16_image,
    liturgy_image,
    partitioned_image,
    text_file,
    truncated_image,
)

pytestmark = pytest.mark.usefixtures("private_cache")  # (no FreeDOS but what a test puts there)


@pytest.mark.parametrize("kilobytes", [360, 720, 1200, 1440, 2880])
def test_load_from_an_image_of_any_standard_size(tmp_path: Path, kilobytes: int) -> None:
    system = freedos.load(fake_freedos_image(tmp_path / "fd.img", kilobytes))
    assert (system.kernel, system.shell) == (FAKE_KERNEL, FAKE_SHELL)
    assert system.boot_code[:3] == FAKE_BOOT[:3] and system.boot_code[62:] == FAKE_BOOT[62:]
    assert system.kernel_attributes & (ATTR_SYSTEM | ATTR_HIDDEN | ATTR_READ_ONLY) == 7


def test_load_finds_the_shell_in_freedos_bin(tmp_path: Path) -> None:
    system = freedos.load(fake_freedos_image(tmp_path / "fd.img", shell_in_subdirectory=True))
    assert system.shell == FAKE_SHELL


def test_load_from_a_nearly_full_image(tmp_path: Path) -> None:
    path = fake_freedos_image(tmp_path / "fd.img", 360)
    subprocess.run(["mcopy", "-i", str(path), "-", "::FILLER.BIN"], input=bytes(300 * 1024), check=True,
                   env={"MTOOLS_SKIP_CHECK": "1", "PATH": "/usr/bin:/bin"})  # fmt: skip
    assert freedos.load(path).kernel == FAKE_KERNEL


def test_load_from_a_directory(tmp_path: Path) -> None:
    (tmp_path / "kernel.sys").write_bytes(FAKE_KERNEL)
    (tmp_path / "COMMAND.COM").write_bytes(FAKE_SHELL)
    (tmp_path / "boot.bin").write_bytes(bytes(FAKE_BOOT))
    (tmp_path / "other.bin").write_bytes(b"\0" * 510 + b"\x55\xaa")  # a boot sector that loads nothing
    system = freedos.load(tmp_path)
    assert system.boot_code == bytes(FAKE_BOOT) and system.kernel == FAKE_KERNEL


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (text_file, "not a FAT12 volume"),
        (empty_file, "too small"),
        (fat16_image, "FAT16"),
        (partitioned_image, "partition table"),
        (truncated_image, "truncated"),
    ],
)
def test_bad_sources_are_named(tmp_path: Path, make: object, message: str) -> None:
    path = make(tmp_path / "x.img")  # type: ignore[operator]
    with pytest.raises(freedos.FreeDosError, match=message):
        freedos.load(path)


def test_an_image_without_a_kernel(tmp_path: Path) -> None:
    path = tmp_path / "empty.img"
    subprocess.run(["mkfs.fat", "-C", str(path), "1440"], check=True, capture_output=True)
    with pytest.raises(freedos.FreeDosError, match=r"no KERNEL\.SYS"):
        freedos.load(path)


def test_a_missing_source(tmp_path: Path) -> None:
    with pytest.raises(freedos.FreeDosError, match="no such file"):
        freedos.load(tmp_path / "nowhere.img")


def test_locate_prefers_flag_then_environment_then_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, private_cache: Path
) -> None:
    assert freedos.locate(None) is None
    private_cache.mkdir(parents=True)
    (private_cache / freedos.CACHE_NAME).write_bytes(b"x")
    assert freedos.locate(None) == private_cache / freedos.CACHE_NAME
    monkeypatch.setenv(freedos.ENVIRONMENT, "/from/env.img")
    assert freedos.locate(None) == Path("/from/env.img")
    assert freedos.locate(Path("/from/flag")) == Path("/from/flag")


def test_import_validates_then_caches(tmp_path: Path, private_cache: Path) -> None:
    with pytest.raises(freedos.FreeDosError):
        freedos.import_image(partitioned_image(tmp_path / "hd.img"))
    assert not (private_cache / freedos.CACHE_NAME).exists()
    source = fake_freedos_image(tmp_path / "fd.img")
    cached = freedos.import_image(source)
    assert cached.read_bytes() == source.read_bytes()
    assert freedos.locate(None) == cached


# --- fetch, against a local server -------------------------------------------------------------


def archive(image: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("readme.txt", "fabricated for tests")
        bundle.writestr(freedos.FD13_BOOT_IMAGE, image)
    return buffer.getvalue()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, bytes]]:
    payload = archive(fake_freedos_image(tmp_path / "fd.img").read_bytes())

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            body = payload[: len(payload) // 2] if self.path == "/truncated.zip" else payload
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=httpd.serve_forever, args=(0.02,), daemon=True
    )  # (shutdown waits a poll)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", payload
    httpd.shutdown()
    httpd.server_close()


def test_fetch_checks_the_pin_and_caches_the_boot_floppy(
    server: tuple[str, bytes], private_cache: Path
) -> None:
    base, payload = server
    cached = freedos.fetch(f"{base}/fd.zip", hashlib.sha256(payload).hexdigest())
    assert freedos.load(cached).kernel == FAKE_KERNEL
    assert sorted(p.name for p in private_cache.iterdir()) == [freedos.CACHE_NAME]


def test_fetch_refuses_a_checksum_mismatch(server: tuple[str, bytes], private_cache: Path) -> None:
    base, _ = server
    with pytest.raises(freedos.FreeDosError, match="checksum mismatch"):
        freedos.fetch(f"{base}/fd.zip", freedos.FD13_SHA256)
    assert not private_cache.exists() or list(private_cache.iterdir()) == []


def test_fetch_refuses_a_truncated_download(server: tuple[str, bytes], private_cache: Path) -> None:
    base, payload = server
    with pytest.raises(freedos.FreeDosError, match=r"cut short|cannot download"):
        freedos.fetch(f"{base}/truncated.zip", hashlib.sha256(payload).hexdigest())
    assert not private_cache.exists() or list(private_cache.iterdir()) == []


def test_fetch_offline_is_a_clear_error(private_cache: Path) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with pytest.raises(freedos.FreeDosError, match="cannot download"):
        freedos.fetch(f"http://127.0.0.1:{port}/fd.zip")
    assert not private_cache.exists()


@pytest.mark.vm
@pytest.mark.parametrize("drive", ["disk", "usb"])
def test_a_freedos_floppy_asked_to_boot_as_a_disk_is_refused_before_it_boots(
    drive: str, configured_freedos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Its kernel stops as a hard disk: run says so at once (64), as run_image refuses it, and the image
    is left as it was."""
    image = liturgy_image(tmp_path / "a.img", configured_freedos, reference.build(0x44))
    before = image.read_bytes()
    assert main(["run", "--as", drive, str(image)]) == ExitCode.USAGE
    said = capsys.readouterr().err
    assert said.count("\n") == 1 and "boots from drive A: only" in said and str(image) in said
    assert image.read_bytes() == before
