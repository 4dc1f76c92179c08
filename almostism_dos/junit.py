"""``check --junit-xml``: the cells as JUnit XML, the report every CI system displays.

One ``testsuite`` named for the check, one ``testcase`` per cell: ``classname`` the image, ``name`` the
emulator and drive, ``time`` the boot's seconds. A failed cell has a ``failure`` whose message is the
verdict's words and whose text holds the errorlevel and the screen's last lines; a skipped one a
``skipped`` with the reason (which names what to install); the console transcript goes to
``system-out``. Written with the standard library's ElementTree (it escapes what the emulator printed),
atomically, as every output of the tool.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Sequence
from pathlib import Path

from .check import CellResult
from .outputs import write_atomically
from .result_line import last_lines

SUITE = "almostism-dos check"


def junit_xml(image: str, results: Sequence[CellResult], seconds: float) -> bytes:
    """The JUnit XML document for ``results``, the cells of a check of ``image`` (as the user named it)."""
    failed = sum(result.verdict == "FAIL" for result in results)
    skipped = sum(result.verdict == "skip" for result in results)
    suites = ElementTree.Element("testsuites")
    suite = ElementTree.SubElement(
        suites,
        "testsuite",
        name=SUITE,
        tests=str(len(results)),
        failures=str(failed),
        errors="0",
        skipped=str(skipped),
        time=f"{seconds:.3f}",
    )
    for result in results:
        report = result.report or {}
        took = report.get("seconds")
        case = ElementTree.SubElement(
            suite,
            "testcase",
            classname=image,
            name=result.cell.name,
            time=f"{took:.3f}" if isinstance(took, (int, float)) else "0",
        )
        console = str(report.get("console") or "")
        if result.verdict == "skip":
            ElementTree.SubElement(case, "skipped", message=_clean(result.reason or ""))
        elif result.verdict == "FAIL":
            failure = ElementTree.SubElement(case, "failure", message=_clean(result.reason or ""))
            failure.set("type", "errorlevel" if report.get("errorlevel") not in (None, 0) else "liturgy")
            level = report.get("errorlevel")
            lines = [f"errorlevel: {'none (no result line)' if level is None else level}"]
            lines += [f"scripture gone: {report.get('vanished')}", f"reason: {result.reason}"]
            lines += ["the screen's last lines:", *(f"  {line}" for line in last_lines(console))]
            failure.text = _clean("\n".join(lines))
        if console:
            ElementTree.SubElement(case, "system-out").text = _clean(console)
    ElementTree.indent(suites)
    document: bytes = ElementTree.tostring(suites, encoding="utf-8", xml_declaration=True)
    return document + b"\n"


def write_junit_xml(path: Path, image: str, results: Sequence[CellResult], seconds: float) -> None:
    """Write the document to ``path`` (replacing a file there; never a link): OutputError if it cannot."""
    write_atomically(path, junit_xml(image, results, seconds), force=True)


def _clean(text: str) -> str:
    """``text`` without the characters XML 1.0 forbids (a screen may hold any byte): each becomes '?'."""
    return "".join(
        char
        if char in "\t\n\r" or " " <= char <= "\ud7ff" or "\ue000" <= char <= "\ufffd" or char >= "\U00010000"
        else "?"
        for char in text
    )
