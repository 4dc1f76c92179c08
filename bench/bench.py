"""Benchmarks: whole-process medians, each measured beside its floor in the same run, interleaved.

    python bench/bench.py [--repeat N] [--freedos PATH]

Every row is a pair timed alternately (measured, floor, measured, floor, ...; images copied fresh
before every boot), so both see the same machine:

- QEMU alone on the self-booting floppy vs. a bare QEMU boot (a boot sector that only powers off);
- ``almostism-dos run`` on the self-booting floppy vs. QEMU alone on the same floppy;
- the Python floor (``python_floor.py``: the interpreter, argparse, QEMU started in a pty and drained,
  nothing of this project imported) vs. QEMU alone on the same floppy: what any Python front end pays;
- QEMU alone on the FreeDOS floppy vs. the FreeDOS floor (the same floppy, ``AUTOEXEC.BAT`` only
  ``POWEROFF.COM``);
- ``almostism-dos run`` on the FreeDOS floppy vs. the FreeDOS floor;
- Bochs: ``run --emulator bochs`` (self-booting, and FreeDOS) vs. a bare Bochs boot, Bochs alone under
  ``script`` (a pty for its term display), its debugger told ``c`` by a command file;
- DOSBox: ``run --emulator dosbox`` vs. DOSBox starting and exiting at once, its logo cut short as
  ``run`` cuts it; and that vs. DOSBox showing its whole 600 ms logo first;
- build: ``almostism-dos build`` vs. the equivalent mtools pipeline (mformat + mcopy + mattrib);
- ``run`` (QEMU, Bochs) on an image with the default countdown, which ``run`` cuts short by pressing a
  key, vs. ``run`` on the same floppy built ``--linger 0``;
- QEMU's CPU time over a countdown nobody cuts short (QEMU alone, ``--linger 3``) vs. its wall time:
  the share of a core the countdown holds while a person reads the verdict.

``almostism-dos`` is the command users run: the wheel built from this tree, installed in a virtual
environment of its own (its dependencies are the running interpreter's), never the editable checkout,
whose import hook alone costs every start about 20 ms.

Prints a Markdown table for docs/benchmarks.md. Nothing is asserted: the numbers are the result.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from almostism_dos import freedos, reference
from almostism_dos.assembler import assemble
from almostism_dos.emulators import DEFAULT_MACHINE, TIMEOUT, bochs, dosbox, mame, qemu_launch
from almostism_dos.floppy import Contents, embedded_floppy, freedos_files
from almostism_dos.formats import BOOT_SIGNATURE, FORMATS, SIGNATURE_OFFSET
from almostism_dos.image import ImageFile, build_image
from almostism_dos.programs import POWEROFF
from almostism_dos.result_line import DEFAULT_LINGER, NO_APM_LINE

HERE = Path(__file__).parent
CLI: list[str] = []  # the installed command, once main() has installed it


def timed_pair(
    measured: Callable[[], object], floor: Callable[[], object], repeat: int
) -> tuple[float, float]:
    """Median wall times of ``measured`` and ``floor``, run alternately ``repeat`` times each."""
    samples: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for action, times in ((measured, samples[0]), (floor, samples[1])):
            started = time.perf_counter()
            action()
            times.append(time.perf_counter() - started)
    return statistics.median(samples[0]), statistics.median(samples[1])


def run(command: list[str], **options: object) -> None:
    subprocess.run(command, check=True, capture_output=True, **options)  # type: ignore[call-overload]


def installed_command(work: Path) -> list[str]:
    """``almostism-dos`` from a wheel of this tree installed into a new virtual environment in ``work``
    (the dependencies come from the running interpreter's site-packages, named in a ``.pth`` file)."""
    wheels, environment = work / "wheel", work / "venv"
    pip = [sys.executable, "-m", "pip", "--quiet", "--disable-pip-version-check"]
    run([*pip, "wheel", "--no-deps", "-w", str(wheels), str(HERE.parent)])
    run([sys.executable, "-m", "venv", "--without-pip", str(environment)])
    python = environment / "bin" / "python"
    run([*pip, "--python", str(python), "install", "--no-deps", *map(str, wheels.glob("*.whl"))])
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    (Path(site) / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return [str(environment / "bin" / "almostism-dos")]


def bare_boot_image(work: Path) -> Path:
    """A 1.44 MB image whose boot sector only powers off."""
    code = assemble("bare_poweroff.asm", lambda name: (HERE / name).read_text(), 0x7C00).code
    sector = bytearray(512)
    sector[: len(code)] = code
    sector[SIGNATURE_OFFSET:] = BOOT_SIGNATURE
    image = work / "bare.img"
    image.write_bytes(bytes(sector) + bytes(1474560 - 512))
    return image


def qemu_alone(image: Path) -> None:
    """QEMU on its own, the product's command line without the QMP watcher: it ends at the power-off."""
    run(qemu_launch.command(image), timeout=TIMEOUT)


def python_floor(image: Path) -> None:
    """The least any Python front end costs (``python_floor.py``), in the venv the command runs in."""
    python = Path(CLI[0]).with_name("python")
    run([str(python), str(HERE / "python_floor.py"), *qemu_launch.command(image)], timeout=TIMEOUT)


def mame_alone(image: Path, work: Path) -> None:
    """MAME on its own: the product's command line and Lua script (writing to /dev/null), no Python."""
    script = work / "alone.lua"
    script.write_text(mame.lua_script(1, NO_APM_LINE).replace("/dev/fd/1", "/dev/null"))
    line = mame.command(mame.Mame().executable(), DEFAULT_MACHINE, mame.rom_path(None), image, script)
    subprocess.run(line, cwd=work, capture_output=True, timeout=TIMEOUT, check=False)  # (its status: no)


def cpu_and_wall(boot: Callable[[], None], repeat: int) -> tuple[float, float]:
    """Median CPU seconds of the processes ``boot`` runs (user + system, waited for), and median wall."""
    cpu: list[float] = []
    wall: list[float] = []
    for _ in range(repeat):
        before, started = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
        boot()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall.append(time.perf_counter() - started)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(cpu), statistics.median(wall)


def booting(image: Path, pristine: bytes, boot: Callable[[Path], None]) -> Callable[[], None]:
    """``boot`` of a fresh copy of ``pristine`` in ``image``, every time."""

    def fresh() -> None:
        image.write_bytes(pristine)
        boot(image)

    return fresh


def via_run(*extra: str) -> Callable[[Path], None]:
    """``almostism-dos run IMG`` as a user starts it."""
    return lambda image: run([*CLI, "run", str(image), *extra], timeout=120)


def bochs_bare(image: Path, work: Path) -> Callable[[], None]:
    """Bochs alone booting ``image``: no Python, no screen reading; ``script`` gives it its pty."""
    rc, commands = work / "bochsrc", work / "bochs-commands"
    rc.write_text(bochs.configuration(image, work / "bochs.log"))
    commands.write_text("c\n")
    line = f"bochs -q -f {rc} -rc {commands}"

    def boot() -> None:
        subprocess.run(
            ["script", "-qc", line, "/dev/null"],
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=TIMEOUT,
            check=False,
        )  # not checked: Bochs exits 1 at its shutdown port

    return boot


def mtools_pipeline(source: freedos.FreeDos, work: Path) -> Callable[[], None]:
    """The same floppy made with mformat + mcopy + mattrib, from files already on disk."""
    files = freedos_files(source, reference.build(0x5A))
    for item in files:
        (work / item.name).write_bytes(item.data)
    (work / "boot.bin").write_bytes(source.boot_code)
    environment = {**os.environ, "MTOOLS_SKIP_CHECK": "1"}
    target = work / "mtools.img"

    def make() -> None:
        target.unlink(missing_ok=True)
        boot = str(work / "boot.bin")
        run(
            ["mformat", "-C", "-f", "1440", "-v", "ALMOSTISM", "-B", boot, "-i", str(target), "::"],
            env=environment,
        )
        run(["mcopy", "-i", str(target), *[str(work / item.name) for item in files], "::"], env=environment)
        run(["mattrib", "-i", str(target), "+s", "+h", "+r", "::KERNEL.SYS"], env=environment)

    return make


def freedos_floor(source: freedos.FreeDos) -> bytes:
    """The FreeDOS floppy as ``build`` makes it, but ``AUTOEXEC.BAT`` only switches off."""
    files = [
        ImageFile(f.name, f"@ECHO OFF\r\n\\{POWEROFF}\r\n".encode()) if f.name == "AUTOEXEC.BAT" else f
        for f in freedos_files(source, reference.build(90))
    ]
    return build_image(FORMATS[1440], source.boot_code, files, 0)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--freedos", type=Path)
    parser.add_argument("--only", default="", metavar="TEXT", help="only the rows whose name has TEXT")
    args = parser.parse_args()
    located = freedos.locate(args.freedos)
    rows: list[tuple[str, float, str, float]] = []

    def pair(name: str, measured: Callable[[], object], floor_name: str, floor: Callable[[], object]) -> None:
        if args.only not in name:
            return
        seconds, floor_seconds = timed_pair(measured, floor, args.repeat)
        rows.append((name, seconds, floor_name, floor_seconds))

    with tempfile.TemporaryDirectory(prefix="almostism-bench-") as scratch:
        work = Path(scratch)
        CLI[:] = installed_command(work)
        bare = bare_boot_image(work)
        embedded, floor_image = work / "embedded.img", work / "floor.img"
        pristine_embedded = embedded_floppy(FORMATS[1440], Contents(reference.build(90), 0))
        pair("QEMU alone, self-booting 1.44 MB floppy", booting(embedded, pristine_embedded, qemu_alone),
             "bare QEMU boot", lambda: qemu_alone(bare))  # fmt: skip
        same_floppy = booting(floor_image, pristine_embedded, qemu_alone)
        pair("`almostism-dos run`, self-booting", booting(embedded, pristine_embedded, via_run()),
             "QEMU alone on the same floppy", same_floppy)  # fmt: skip
        pair("Python floor: interpreter + argparse + QEMU in a pty, drained", booting(embedded,
             pristine_embedded, python_floor), "QEMU alone on the same floppy", same_floppy)  # fmt: skip
        pair("`run` over the Python floor, self-booting", booting(embedded, pristine_embedded,
             via_run()), "Python floor, the same floppy", booting(floor_image, pristine_embedded,
             python_floor))  # fmt: skip
        lingering = embedded_floppy(FORMATS[1440], Contents(reference.build(90), 0, linger=DEFAULT_LINGER))
        pair(f"`run`, self-booting, the default {DEFAULT_LINGER} s countdown (the key pressed)",
             booting(embedded, lingering, via_run()), "`run`, the same floppy built `--linger 0`",
             booting(floor_image, pristine_embedded, via_run()))  # fmt: skip
        name = "QEMU's CPU, a 3 s countdown nobody cuts short (QEMU alone)"
        if args.only in name:
            counting = embedded_floppy(FORMATS[1440], Contents(reference.build(90), 0, linger=3))
            cpu_seconds, wall = cpu_and_wall(booting(embedded, counting, qemu_alone), args.repeat)
            rows.append((name, cpu_seconds, "its wall time", wall))
        if located is None:
            print(f"(no FreeDOS configured: set {freedos.ENVIRONMENT} for the FreeDOS rows)", file=sys.stderr)
        else:
            source = freedos.load(located)
            pristine = build_image(
                FORMATS[1440], source.boot_code, freedos_files(source, reference.build(90)), 0
            )
            floor = booting(floor_image, freedos_floor(source), qemu_alone)
            pair("QEMU alone, FreeDOS floppy", booting(embedded, pristine, qemu_alone),
                 "FreeDOS floor: `AUTOEXEC.BAT` only `POWEROFF.COM`", floor)  # fmt: skip
            pair("`almostism-dos run`, FreeDOS", booting(embedded, pristine, via_run()),
                 "FreeDOS floor: `AUTOEXEC.BAT` only `POWEROFF.COM`", floor)  # fmt: skip
            pair("`run` over the Python floor, FreeDOS", booting(embedded, pristine, via_run()),
                 "Python floor, the same FreeDOS floppy",
                 booting(floor_image, pristine, python_floor))  # fmt: skip
        if bochs.Bochs.available():
            bochs_floor = bochs_bare(bare, work)
            pair("`run --emulator bochs`, self-booting", booting(embedded, pristine_embedded,
                 via_run("--emulator", "bochs")), "bare Bochs boot", bochs_floor)  # fmt: skip
            pair(f"`run --emulator bochs`, the default {DEFAULT_LINGER} s countdown (the key pressed)",
                 booting(embedded, lingering, via_run("--emulator", "bochs")),
                 "`run --emulator bochs`, `--linger 0`",
                 booting(floor_image, pristine_embedded, via_run("--emulator", "bochs")))  # fmt: skip
            if located is not None:
                pair("`run --emulator bochs`, FreeDOS", booting(embedded, pristine,
                     via_run("--emulator", "bochs")), "bare Bochs boot", bochs_floor)  # fmt: skip
        else:
            print(f"(Bochs not installed: {bochs.PACKAGE})", file=sys.stderr)
        if shutil.which("dosbox") is not None and located is not None:
            dosbox_bare = work / "dosbox-exit.conf"
            dosbox_bare.write_text("[mixer]\nnosound=true\n[autoexec]\nexit\n")
            dosbox_env = {
                **os.environ,
                "SDL_VIDEODRIVER": "dummy",
                "SDL_AUDIODRIVER": "dummy",
                "HOME": scratch,
            }
            dosbox_exit = ["dosbox", "-conf", str(dosbox_bare)]

            def dosbox_alone(skip_logo: bool) -> Callable[[], object]:
                """DOSBox starting and exiting at once, as the wrapper runs it."""
                return lambda: dosbox.run_dosbox(
                    dosbox_exit, dosbox_env, time.monotonic() + TIMEOUT, skip_logo
                )

            pair("`run --emulator dosbox`", booting(embedded, pristine, via_run("--emulator", "dosbox")),
                 "DOSBox start + exit, its logo cut short", dosbox_alone(True))  # fmt: skip
            pair("DOSBox start + exit, its logo cut short", dosbox_alone(True),
                 "DOSBox start + exit, its 600 ms logo shown", dosbox_alone(False))  # fmt: skip
        if bochs.Bochs.available() and shutil.which("dosbox") is not None:
            embedded.write_bytes(pristine_embedded)  # neither command below changes it
            three = ["qemu", "bochs", "dosbox"]
            in_turn = [[*CLI, "run", "--keep", "--emulator", name, str(embedded)] for name in three]
            check = [
                *CLI,
                "check",
                str(embedded),
                *(f"--emulator={name}" for name in three),
                "--as",
                "floppy",
            ]
            pair(f"`check` on QEMU, Bochs and DOSBox as a floppy, {os.cpu_count()} cores", lambda: run(check),
                 "the three `run --keep`s in a row", lambda: list(map(run, in_turn)))  # fmt: skip
        if mame.Mame.available():
            small, small_floor = work / "xt.img", work / "xt-floor.img"
            pristine_xt = embedded_floppy(FORMATS[360], Contents(reference.build(90), 0))
            pair("`run --emulator mame`, self-booting 360 KB (IBM PC/XT)", booting(small, pristine_xt,
                 via_run("--emulator", "mame")), "MAME alone on the same floppy, its script ending it",
                 booting(small_floor, pristine_xt, lambda image: mame_alone(image, work)))  # fmt: skip
        else:
            print(f"(MAME not ready: {mame.Mame.unavailable()})", file=sys.stderr)
        if located is not None:
            image = work / "a.img"
            build = [
                *CLI,
                "build",
                "-o",
                str(image),
                "--freedos",
                str(located),
                "--unique-byte",
                "90",
                "--force",
            ]
            pair("build (1.44 MB, FreeDOS)", lambda: run(build), "mformat + mcopy + mattrib",
                 mtools_pipeline(source, work))  # fmt: skip
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.machine())  # fmt: skip
    qemu_version = subprocess.run(
        ["qemu-system-i386", "--version"], capture_output=True, text=True
    ).stdout.split("\n")[0]
    print(f"Machine: {cpu}, {os.cpu_count()} cores; {qemu_version}; Python {platform.python_version()}; "
          f"median of {args.repeat} runs of each, measured and floor alternating\n")  # fmt: skip
    print("| measured | median | its floor, same run | median | ratio |")
    print("|---|---|---|---|---|")
    for name, seconds, floor_name, floor_seconds in rows:
        ratio = seconds / floor_seconds
        print(f"| {name} | {seconds:.3f} s | {floor_name} | {floor_seconds:.3f} s | {ratio:.2f}x |")


if __name__ == "__main__":
    main()
