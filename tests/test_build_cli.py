"""``build`` and ``inspect`` on the command line: results, and one-line errors with documented codes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from almostism_dos import freedos
from almostism_dos.builder import BuildRequest, BuildRequestError
from almostism_dos.cli import ExitCode, main
from tests.images import (
    FAKE_BOOT,
    FAKE_KERNEL,
    fake_freedos_image,
    fat16_image,
    liturgy_image,
    partitioned_image,
    text_file,
)

pytestmark = pytest.mark.usefixtures("private_cache")  # (no FreeDOS but what a test puts there)


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return fake_freedos_image(tmp_path / "fd.img")


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    error = capsys.readouterr().err
    assert error.count("\n") == 1, error
    return error


def test_build_then_inspect(source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image = tmp_path / "a.img"
    assert (
        main(["build", "-o", str(image), "--freedos", str(source), "--size", "720", "--unique-byte", "66"])
        == 0
    )
    assert "720 KB FreeDOS floppy" in capsys.readouterr().out and image.stat().st_size == 720 * 1024
    assert main(["inspect", str(image)]) == 0
    text = capsys.readouterr().out
    assert "720 KB floppy, boot: FreeDOS, label ALMOSTISM" in text
    assert "KERNEL.SYS" in text and "RHSA" in text and "present and valid, unique byte 0x42" in text
    assert main(["inspect", str(image), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["scripture"] == {"state": "valid", "verdict": 0, "meaning": report["scripture"]["meaning"],
                                   "unique_byte": 66}  # fmt: skip
    assert report["geometry"]["sectors_per_track"] == 9 and report["boot"] == "FreeDOS"


def test_build_uses_the_environment_then_the_cache(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(freedos.ENVIRONMENT, str(source))
    assert main(["build", "-o", str(tmp_path / "env.img")]) == 0
    monkeypatch.delenv(freedos.ENVIRONMENT)
    freedos.import_image(source)
    assert main(["build", "-o", str(tmp_path / "cache.img")]) == 0


def test_build_prints_a_random_unique_byte(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["build", "-o", str(tmp_path / "a.img"), "--freedos", str(source)]) == 0
    assert "unique byte 0x" in capsys.readouterr().out


def test_boot_freedos_without_freedos_says_how_to_get_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["build", "-o", str(tmp_path / "a.img"), "--boot", "freedos"]) == ExitCode.NO_INPUT
    assert "almostism-dos freedos fetch" in one_line_error(capsys)
    assert not (tmp_path / "a.img").exists()


def test_auto_without_freedos_builds_the_embedded_floppy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["build", "-o", str(tmp_path / "a.img"), "--unique-byte", "9"]) == 0
    assert "1440 KB embedded floppy" in capsys.readouterr().out
    assert main(["inspect", str(tmp_path / "a.img")]) == 0
    assert "boot: embedded" in capsys.readouterr().out


def test_boot_embedded_ignores_a_configured_freedos(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["build", "-o", str(tmp_path / "a.img"), "--freedos", str(source), "--boot", "embedded"]) == 0
    assert "embedded floppy" in capsys.readouterr().out


@pytest.mark.parametrize("maker", [text_file, fat16_image, partitioned_image])
def test_build_from_a_bad_source(maker: object, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = maker(tmp_path / "bad.img")  # type: ignore[operator]
    assert main(["build", "-o", str(tmp_path / "a.img"), "--freedos", str(bad)]) == ExitCode.DATA
    one_line_error(capsys)
    left = sorted(p.name for p in tmp_path.iterdir() if p.name != "cache")  # (cache: the fixture's)
    assert left == ["bad.img"]  # no image, no leftover part file


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (["--size", "1000"], "unknown floppy size 1000 KB"),
        (["--size", "x"], "not a size"),
        (["--media", "disk", "--size", "16"], "16 MB: a disk image here is 1 to 15 MB"),
        (["--media", "disk", "--size", "0"], "0 MB: a disk image here is 1 to 15 MB"),
    ],
)
def test_unknown_size_is_a_usage_error(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str], said: str
) -> None:
    line = ["build", "-o", str(tmp_path / "a.img"), "--freedos", str(source), *options]
    try:
        code = main(line)
    except SystemExit as stopped:  # (argparse's own usage errors)
        code = int(stopped.code or 0)
    assert code == ExitCode.USAGE and said in capsys.readouterr().err
    assert not (tmp_path / "a.img").exists()


def test_existing_output_is_kept_without_force(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = tmp_path / "a.img"
    image.write_bytes(b"precious")
    assert main(["build", "-o", str(image), "--freedos", str(source)]) == ExitCode.CANT_CREATE
    assert "--force" in one_line_error(capsys) and image.read_bytes() == b"precious"
    assert main(["build", "-o", str(image), "--freedos", str(source), "--force"]) == 0
    assert image.stat().st_size == 1440 * 1024
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []


def test_unwritable_output_path(source: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", "-o", "/proc/almostism/a.img", "--freedos", str(source)]) == ExitCode.CANT_CREATE
    one_line_error(capsys)


def test_output_that_is_a_directory(source: Path, tmp_path: Path) -> None:
    assert main(["build", "-o", str(tmp_path), "--freedos", str(source), "--force"]) == ExitCode.CANT_CREATE


def test_inspect_a_file_that_is_not_an_image(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", str(text_file(tmp_path / "t.img"))]) == ExitCode.DATA
    assert "not a FAT12 volume" in one_line_error(capsys)
    assert main(["inspect", str(tmp_path / "missing.img")]) == ExitCode.NO_INPUT


def test_inspect_reports_a_judged_scripture(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = liturgy_image(tmp_path / "a.img", source, b"plain text")
    assert main(["inspect", str(image)]) == 0
    assert "would get 2" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("options", "shell_kilobytes", "medium"),
    [
        (["--size", "160"], 150, r"160 KB floppy"),  # no 160 KB floppy holds this shell
        (["--media", "disk", "--size", "1"], 1100, r"\d+ KB partition"),  # nor a 1 MB disk this one
    ],
    ids=["160 KB floppy", "1 MB disk"],
)
def test_a_freedos_too_big_says_how_many_bytes_are_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str], shell_kilobytes: int, medium: str
) -> None:
    source = tmp_path / "freedos"
    source.mkdir()
    (source / "KERNEL.SYS").write_bytes(FAKE_KERNEL)
    (source / "COMMAND.COM").write_bytes(bytes(shell_kilobytes * 1024))
    (source / "boot.bin").write_bytes(bytes(FAKE_BOOT))
    image = tmp_path / "a.img"
    assert main(["build", "-o", str(image), "--freedos", str(source), *options]) == ExitCode.DATA
    error = capsys.readouterr().err
    missing = re.search(rf"do not fit a {medium}: (\d+) bytes missing", error)
    assert missing is not None and int(missing[1]) > 0, error
    assert len(error.strip().splitlines()) == 1
    left = [path for path in tmp_path.iterdir() if path.name != "cache"]  # (cache: the fixture's)
    assert left == [source]  # nothing written, not even a partial file


def test_a_relative_xdg_cache_home_is_ignored(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The XDG Base Directory specification: a relative path there is invalid and must be ignored."""
    from almostism_dos.paths import cache_dir

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    assert cache_dir() == tmp_path / ".cache" / "almostism-dos"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "absolute"))
    assert cache_dir() == tmp_path / "absolute" / "almostism-dos"


@pytest.mark.parametrize(
    ("choices", "said"),
    [
        ({"media": "tape"}, "unknown medium 'tape'"),
        ({"boot": "grub"}, "unknown boot system 'grub'"),
        ({"size": 999}, "unknown floppy size 999 KB"),
        ({"media": "disk", "size": 64}, "MB"),
        ({"linger": 100}, "a countdown of 100 s: 0 to 99"),
        ({"linger": -1}, "a countdown of -1 s"),
        ({"unique": 0}, "the unique byte must be 1..255"),
    ],
)
def test_a_build_request_is_checked_once_as_it_is_made(
    choices: dict[str, object], said: str, tmp_path: Path
) -> None:
    with pytest.raises(BuildRequestError, match=said.replace("(", r"\(")):
        BuildRequest(tmp_path / "a.img", **choices)  # type: ignore[arg-type]
    assert not (tmp_path / "a.img").exists()


def test_a_build_request_fills_in_its_defaults(tmp_path: Path) -> None:
    floppy, disk = BuildRequest(tmp_path / "a.img"), BuildRequest(tmp_path / "b.img", media="disk")
    assert (floppy.amount, disk.amount) == ("1440 KB", "8 MB")
    assert 1 <= floppy.chosen_unique <= 255
    assert BuildRequest(tmp_path / "c.img", unique=0x2A).chosen_unique == 0x2A
