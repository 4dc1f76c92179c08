"""What users install: the sdist and the wheel, built, checked, installed into fresh virtual environments
outside the checkout, and run from a directory that is not the checkout.

An editable install once hid a wheel with a missing subpackage; these tests never import from the tree.
They need the package registry (build's isolated environment, the tool's dependencies).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

import almostism_dos
from almostism_dos.emulators import emulator_class
from almostism_dos.result_line import RESULT_PREFIX
from almostism_dos.scripture import CREED_LINE, SCRIPTURE_FILE

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.dist


# What a fresh clone does not have: an editable install's egg-info would let setuptools find files that
# the package list forgot (it did: the missing subpackage shipped from a checkout, not from a clone).
LOCAL_STATE = (
    ".git",
    ".venv",
    ".tox",
    "*.egg-info",
    "build",
    "dist",
    "__pycache__",
    ".*_cache",
    ".hypothesis",
)


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``python -m build`` on a clean copy of the tree: the sdist, and the wheel built from that sdist."""
    out, tree = tmp_path_factory.mktemp("dist"), tmp_path_factory.mktemp("clone") / "almostism-dos"
    shutil.copytree(ROOT, tree, ignore=shutil.ignore_patterns(*LOCAL_STATE))
    built = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(tree)], capture_output=True, text=True
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return {"wheel": wheel, "sdist": sdist}


@pytest.mark.long
def test_twine_accepts_both(dists: dict[str, Path]) -> None:
    checked = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, dists.values())],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def shipped_sources() -> set[str]:
    """Every module, page template and assembly source of the tree, as the wheel must name it."""
    package = ROOT / "almostism_dos"
    modules = {p.relative_to(ROOT).as_posix() for p in package.rglob("*") if p.suffix in (".py", ".html")}
    sources = {
        f"almostism_dos/asm/{p.name}" for p in (ROOT / "asm").iterdir() if p.suffix in (".asm", ".inc", ".py")
    }
    return modules | sources


def test_the_wheel_carries_every_module_and_source(dists: dict[str, Path]) -> None:
    names = set(zipfile.ZipFile(dists["wheel"]).namelist())
    assert shipped_sources() - names == set()
    assert "almostism_dos/emulators/__init__.py" in names  # the subpackage that once went missing
    assert not any(name.startswith(("tests/", "vm/", "bench/")) for name in names)


def test_the_wheel_carries_its_licence_and_its_types(dists: dict[str, Path]) -> None:
    names = zipfile.ZipFile(dists["wheel"]).namelist()
    assert "almostism_dos/py.typed" in names
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names), names
    metadata = (
        zipfile.ZipFile(dists["wheel"])
        .read(next(name for name in names if name.endswith(".dist-info/METADATA")))
        .decode()
    )
    assert "License-Expression: MIT" in metadata and "Provides-Extra: browser" in metadata
    assert "Classifier: Typing :: Typed" in metadata
    with tarfile.open(dists["sdist"]) as sdist:
        assert any(member.name.endswith("/LICENSE") for member in sdist.getmembers())


def test_the_wheel_registers_the_pytest_plugin(dists: dict[str, Path]) -> None:
    import configparser

    wheel = zipfile.ZipFile(dists["wheel"])
    (listed,) = [name for name in wheel.namelist() if name.endswith(".dist-info/entry_points.txt")]
    entry_points = configparser.ConfigParser()
    entry_points.read_string(wheel.read(listed).decode())
    assert dict(entry_points["pytest11"]) == {"almostism-dos": "almostism_dos.pytest_plugin"}
    assert "almostism_dos/pytest_plugin.py" in wheel.namelist()


def test_the_version_has_one_source(dists: dict[str, Path]) -> None:
    assert dists["wheel"].name.startswith(f"almostism_dos-{almostism_dos.__version__}-")
    assert dists["sdist"].name == f"almostism_dos-{almostism_dos.__version__}.tar.gz"


@pytest.mark.long
@pytest.mark.vm
@pytest.mark.parametrize("kind", ["wheel", "sdist"])
def test_the_installed_tool_performs_the_liturgy(kind: str, dists: dict[str, Path], tmp_path: Path) -> None:
    if not emulator_class("qemu").available():
        pytest.skip("qemu-system-i386 is not installed (Debian package qemu-system-x86)")
    environment = tmp_path / "venv"
    venv.create(environment, with_pip=False)  # (pip into the venv first, ensurepip, took 5.3 s of each)
    python = environment / "bin" / "python"
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", str(dists[kind])],
        capture_output=True,
        text=True,
    )
    assert installed.returncode == 0, installed.stderr[-3000:]
    elsewhere = tmp_path / "elsewhere"  # not the checkout: nothing of the tree is importable from here
    elsewhere.mkdir()
    clean = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "VIRTUAL_ENV"))}
    clean["XDG_CACHE_HOME"] = str(tmp_path / "cache")  # nothing assembled before: Keystone runs here

    def tool(*arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(environment / "bin" / "almostism-dos"), *arguments],
            cwd=elsewhere,
            env=clean,
            capture_output=True,
            text=True,
            timeout=120,
        )

    where = subprocess.run(
        [str(python), "-c", "import almostism_dos; print(almostism_dos.__file__)"],
        cwd=elsewhere, env=clean, capture_output=True, text=True,
    )  # fmt: skip
    assert where.stdout.startswith(str(environment)), where.stdout + where.stderr
    version = tool("--version")
    assert version.stdout.strip() == f"almostism-dos {almostism_dos.__version__}", version.stderr
    listing = tool("listing")
    assert listing.returncode == 0 and "liturgy.asm" in listing.stdout and "host.asm" in listing.stdout
    exported = tool("export", "out", "--unique-byte", "0x2A")
    assert exported.returncode == 0 and (elsewhere / "out" / SCRIPTURE_FILE).stat().st_size == 1023
    built = tool("build", "-o", "a.img", "--boot", "embedded", "--unique-byte", "0x2B")
    assert built.returncode == 0, built.stderr
    ran = tool("run", "a.img")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert CREED_LINE in ran.stdout and "Instance byte: 0x2B" in ran.stdout
    assert f"{RESULT_PREFIX}0" in ran.stdout and "scripture gone" in ran.stdout
