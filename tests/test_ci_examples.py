"""docs/ci.md's CI files work as written: each YAML block parses, its install lines name every package
its check needs, and every other shell line runs, job by job, as the CI system would run it. The
shards' JUnit files together are the whole matrix, no cell twice, and no cell failed.

Install lines are read, not run: they need root and a package index. The tool they install is this
one, put on PATH from the interpreter running the tests."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from junitparser import Failure, JUnitXml

from almostism_dos.check import Cell, matrix
from almostism_dos.emulators import emulator_class

CI_PAGE = Path(__file__).resolve().parent.parent / "docs" / "ci.md"

pytestmark = pytest.mark.vm


def example(name: str) -> Any:
    """The YAML block after ``<!-- ci-example: NAME -->`` in docs/ci.md, parsed."""
    text = CI_PAGE.read_text(encoding="utf-8")
    found = re.search(rf"<!-- ci-example: {name} -->\n```yaml\n(.*?)\n```", text, re.DOTALL)
    assert found, f"docs/ci.md has no {name} example"
    return yaml.safe_load(found.group(1))


def shell_lines(scripts: list[str]) -> Iterator[str]:
    """Each command line of ``scripts`` (a GitHub ``run:`` block or GitLab script items)."""
    for script in scripts:
        yield from (line.strip() for line in script.splitlines() if line.strip())


def install_line(line: str) -> bool:
    words = shlex.split(line)
    if words[:1] == ["sudo"]:
        words = words[1:]
    return words[:1] in (["apt-get"], ["pipx"])


def check_installs(lines: list[str]) -> None:
    """The apt-get line installs every package of every emulator the check lines name, and pipx; pipx
    installs this project."""
    installed: set[str] = set()
    tools: list[str] = []
    for line in filter(install_line, lines):
        words = shlex.split(line.removeprefix("sudo "))
        if words[:2] == ["apt-get", "install"]:
            installed |= {word for word in words[2:] if not word.startswith("-")}
        elif words[:2] == ["pipx", "install"]:
            tools += words[2:]
    assert tools == ["almostism-dos"], tools
    emulators = [name for line in lines for name in re.findall(r"--emulator (\w+)", line)]
    assert emulators, "the example names no emulator"
    for name in emulators:
        needed = set(emulator_class(name).package.split())
        assert needed <= installed, f"{name} needs {sorted(needed - installed)} installed"
    assert "pipx" in installed


def run_job(commands: list[str], directory: Path, env: dict[str, str]) -> None:
    """Run ``commands`` in one shell in ``directory``, as a CI job runs its script."""
    directory.mkdir(exist_ok=True)
    environment = {
        **os.environ,
        **env,
        "HOME": str(directory),  # the job's own home, as on a fresh CI machine
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", "\n".join(commands)],
        cwd=directory,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"


def cells_in(junit: Path) -> list[Cell]:
    """The cells of one JUnit file; none of them failed."""
    cells = []
    for suite in JUnitXml.fromfile(str(junit)):
        for case in suite:
            assert not any(isinstance(result, Failure) for result in case.result), case.name
            emulator, _, drive = case.name.partition(" as ")
            cells.append(Cell(emulator, drive))
    return cells


def the_matrix(image: Path, lines: list[str]) -> list[Cell]:
    """The cells the example's check line asks for, on the image it built."""
    (line,) = [line for line in lines if " check " in f" {line} "]
    return matrix(image.read_bytes(), re.findall(r"--emulator (\w+)", line))


@pytest.mark.long
def test_the_github_actions_workflow_runs_as_written(tmp_path: Path) -> None:
    workflow = example("github")
    assert set(workflow) >= {"name", "jobs"} and workflow.get("on", workflow.get(True))
    job = workflow["jobs"]["check"]
    shards = job["strategy"]["matrix"]["shard"]
    lines = list(shell_lines([step["run"] for step in job["steps"] if "run" in step]))
    check_installs(lines)
    (upload,) = [step for step in job["steps"] if step.get("uses", "").startswith("actions/upload-artifact")]
    found: list[Cell] = []
    for value in shards:
        directory = tmp_path / f"shard-{value}"
        commands = [
            line.replace("${{ matrix.shard }}", str(value)) for line in lines if not install_line(line)
        ]
        run_job(commands, directory, {})
        for kept in upload["with"]["path"].replace("${{ matrix.shard }}", str(value)).split():
            assert (directory / kept).exists(), kept
        found += cells_in(directory / f"junit-{value}.xml")
    expected = the_matrix(tmp_path / f"shard-{shards[0]}" / "almostism.img", lines)
    assert sorted(found, key=repr) == sorted(expected, key=repr)  # every cell, none twice


@pytest.mark.long
def test_the_gitlab_job_runs_as_written(tmp_path: Path) -> None:
    job = example("gitlab")["boot-test"]
    total = job["parallel"]
    lines = list(shell_lines(job["before_script"] + job["script"]))
    check_installs(lines)
    commands = [line for line in lines if not install_line(line)]
    found: list[Cell] = []
    for index in range(1, total + 1):
        directory = tmp_path / f"node-{index}"
        run_job(commands, directory, {"CI_NODE_INDEX": str(index), "CI_NODE_TOTAL": str(total)})
        for kept in job["artifacts"]["paths"]:
            assert (directory / kept).exists(), kept
        found += cells_in(directory / job["artifacts"]["reports"]["junit"])
    expected = the_matrix(tmp_path / "node-1" / "almostism.img", lines)
    assert sorted(found, key=repr) == sorted(expected, key=repr)


def fenced(language: str) -> list[str]:
    """Every ``language`` block of docs/ci.md, in order."""
    return re.findall(rf"```{language}\n(.*?)\n```", CI_PAGE.read_text(encoding="utf-8"), re.DOTALL)


@pytest.mark.long
def test_the_check_commands_at_the_top_run_as_written(tmp_path: Path) -> None:
    commands = list(shell_lines([fenced("sh")[0]]))
    assert [shlex.split(line)[1] for line in commands] == ["build", "check"]
    run_job(commands, tmp_path / "job", {})
    assert cells_in(tmp_path / "job" / "junit.xml") == matrix(
        (tmp_path / "job" / "almostism.img").read_bytes()
    )
    assert (tmp_path / "job" / "logs" / "qemu-floppy.log").read_text().strip()


@pytest.mark.long
def test_the_pytest_plugin_example_runs_as_written(tmp_path: Path) -> None:
    (tests,) = fenced("python")
    (command,) = [line for line in shell_lines(fenced("sh")) if line.startswith("pytest ")]
    directory = tmp_path / "team"
    directory.mkdir()
    (directory / "test_boot.py").write_text(tests + "\n", encoding="utf-8")
    build = "almostism-dos build -o almostism.img --boot embedded"
    pytest_command = f"{shlex.quote(sys.executable)} -m {command} -p no:cacheprovider"
    run_job([build, pytest_command], directory, {"PYTEST_ADDOPTS": ""})
    (suite,) = list(JUnitXml.fromfile(str(directory / "junit.xml")))
    cells = matrix((directory / "almostism.img").read_bytes(), ["qemu"])
    assert suite.tests == len(cells) + 1 and suite.failures == suite.errors == suite.skipped == 0
