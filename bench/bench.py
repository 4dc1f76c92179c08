"""Benchmarks: whole-process medians, each beside its baseline measured in the same run.

    python bench/bench.py [--repeat N] [--freedos PATH]

- build: ``almostism-dos build`` vs. the equivalent mtools pipeline (mformat + mcopy + mattrib).
- run (FreeDOS, QEMU): boot-to-exit of ``almostism-dos run`` vs. a bare QEMU boot that powers off at once.
- run (DOSBox): ``almostism-dos run --emulator dosbox`` vs. DOSBox starting and exiting at once.
- run (embedded, QEMU): the self-booting floppy, through ``almostism-dos run`` and as QEMU alone.
- run (Bochs): ``almostism-dos run --emulator bochs`` (embedded; FreeDOS too when configured) vs. a bare
  Bochs boot that powers off at once, Bochs alone under ``script`` (a pty for its term display), its
  debugger told ``c`` by a command file.

Prints a Markdown table for the README. Nothing is asserted: the numbers are the result.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from almostism_dos import freedos
from almostism_dos.assembler import assemble
from almostism_dos.emulators import bochs
from almostism_dos.floppy import embedded_floppy, freedos_files
from almostism_dos.formats import FORMATS
from almostism_dos.image import build_image

HERE = Path(__file__).parent
CLI = [sys.executable, "-m", "almostism_dos"]


def timed(action: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``action`` over ``repeat`` runs, in seconds."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def run(command: list[str], **options: object) -> None:
    subprocess.run(command, check=True, capture_output=True, **options)  # type: ignore[call-overload]


def bare_boot_image(work: Path) -> Path:
    """A 1.44 MB image whose boot sector only powers off."""
    code = assemble("bare_poweroff.asm", lambda name: (HERE / name).read_text(), 0x7C00).code
    sector = bytearray(512)
    sector[: len(code)] = code
    sector[510:] = b"\x55\xaa"
    image = work / "bare.img"
    image.write_bytes(bytes(sector) + bytes(1474560 - 512))
    return image


def qemu_bare(image: Path) -> None:
    run(["qemu-system-i386", "-nographic", "-no-user-config", "-machine", "pc", "-m", "16", "-nic", "none",
         "-drive", f"file={image},format=raw,if=floppy,index=0", "-boot", "order=a", "-no-reboot"],
        timeout=60)  # fmt: skip


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
            timeout=60,
            check=False,
        )  # not checked: Bochs exits 1 at its shutdown port

    return boot


def mtools_pipeline(source: freedos.FreeDos, work: Path) -> Callable[[], None]:
    """The same floppy made with mformat + mcopy + mattrib, from files already on disk."""
    files = freedos_files(source, 0x5A)
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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--freedos", type=Path)
    args = parser.parse_args()
    located = freedos.locate(args.freedos)
    rows: list[tuple[str, float, str, float]] = []
    with tempfile.TemporaryDirectory(prefix="almostism-bench-") as scratch:
        work = Path(scratch)
        bare = bare_boot_image(work)
        bare_seconds = timed(lambda: qemu_bare(bare), args.repeat)
        dosbox_bare = work / "dosbox-exit.conf"
        dosbox_bare.write_text("[mixer]\nnosound=true\n[autoexec]\nexit\n")
        dosbox_env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy", "HOME": scratch}
        dosbox_bare_seconds = timed(
            lambda: run(["dosbox", "-conf", str(dosbox_bare)], env=dosbox_env), args.repeat
        )
        embedded = work / "embedded.img"
        pristine_embedded = embedded_floppy(FORMATS[1440], 90, 0)

        def embedded_run() -> None:
            embedded.write_bytes(pristine_embedded)
            run([*CLI, "run", str(embedded)], timeout=120)

        def embedded_qemu_only() -> None:
            embedded.write_bytes(pristine_embedded)
            qemu_bare(embedded)

        rows.append(
            ("run, embedded in QEMU", timed(embedded_run, args.repeat), "bare QEMU boot", bare_seconds)
        )
        bochs_there = bochs.Bochs.available()
        if bochs_there:
            bochs_bare_seconds = timed(bochs_bare(bare, work), args.repeat)

            def embedded_bochs() -> None:
                embedded.write_bytes(pristine_embedded)
                run([*CLI, "run", str(embedded), "--emulator", "bochs"], timeout=120)

            rows.append(("run, embedded in Bochs", timed(embedded_bochs, args.repeat), "bare Bochs boot",
                         bochs_bare_seconds))  # fmt: skip
        else:
            print(f"(Bochs not installed: {bochs.PACKAGE})", file=sys.stderr)
        qemu_alone = timed(embedded_qemu_only, args.repeat)
        rows.append(("QEMU alone on the embedded floppy", qemu_alone, "bare QEMU boot", bare_seconds))
        if located is None:
            print(f"(no FreeDOS configured: set {freedos.ENVIRONMENT} for the FreeDOS rows)", file=sys.stderr)
        else:
            source = freedos.load(located)
            image = work / "a.img"
            build_command = [
                *CLI,
                "build",
                "-o",
                str(image),
                "--freedos",
                str(located),
                "--unique-byte",
                "90",
            ]
            build_seconds = timed(lambda: run([*build_command, "--force"]), args.repeat)
            rows.append(("build (1.44 MB, FreeDOS)", build_seconds, "mformat + mcopy + mattrib", timed(
                mtools_pipeline(source, work), args.repeat)))  # fmt: skip
            pristine = build_image(FORMATS[1440], source.boot_code, freedos_files(source, 90), 0)

            def fresh_run(*extra: str) -> None:
                image.write_bytes(pristine)
                run([*CLI, "run", str(image), *extra], timeout=120)

            rows.append(
                ("run, FreeDOS in QEMU", timed(fresh_run, args.repeat), "bare QEMU boot", bare_seconds)
            )
            rows.append(("run, DOSBox", timed(lambda: fresh_run("--emulator", "dosbox"), args.repeat),
                         "DOSBox start + exit", dosbox_bare_seconds))  # fmt: skip
            if bochs_there:
                rows.append(("run, FreeDOS in Bochs", timed(lambda: fresh_run("--emulator", "bochs"),
                             args.repeat), "bare Bochs boot", bochs_bare_seconds))  # fmt: skip
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.machine())  # fmt: skip
    qemu_version = subprocess.run(
        ["qemu-system-i386", "--version"], capture_output=True, text=True
    ).stdout.split("\n")[0]
    print(f"Machine: {cpu}, {os.cpu_count()} cores; {qemu_version}; Python {platform.python_version()}; "
          f"median of {args.repeat} whole-process runs\n")  # fmt: skip
    print("| measured | median | baseline (same run) | median | ratio |")
    print("|---|---|---|---|---|")
    for name, seconds, baseline, base_seconds in rows:
        ratio = seconds / base_seconds
        print(f"| {name} | {seconds:.3f} s | {baseline} | {base_seconds:.3f} s | {ratio:.2f}x |")
    if shutil.which("dosbox") is None:
        print("(dosbox not installed)", file=sys.stderr)


if __name__ == "__main__":
    main()
