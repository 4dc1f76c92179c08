"""v86, pinned: ``npm pack`` fetches its tarball, we check the pinned integrity hash, and keep the two files
the page needs (``libv86.js``, ``v86.wasm``) in the user cache, as FreeDOS is kept. The cache is not
trusted: each file is checked against its own pinned SHA-256 every time it is handed out, and fetched
again if it does not match.

No registry address is written here: npm uses whichever registry its own configuration names.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import signal
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from ..outputs import write_atomically
from ..paths import cache_dir
from ..scratch import private_directory

VERSION = "0.5.462"
INTEGRITY = "sha512-aKPX7DdzqAKFRv2omDkqSju0uEzlOxzo+II82J5UT7+tZNsboA6kyaNq9NKAnxvo9hzpJ8dQj7vcvcz0J7I2QA=="
FILES = {  # what the page loads, from the tarball's package/build/, with the SHA-256 of each there
    "libv86.js": "8715206b8c5ab0a206f6e8913c5f705a15547df51d3e0c032e3d00439303c94c",
    "v86.wasm": "aa0d0e149d6b60063b85de4871e78505637ce92821e14a9f9802c4008ba2336e",
}
_PACK_TIMEOUT = 300  # seconds for npm to fetch the tarball


class V86Unavailable(Exception):
    """v86 could not be had: npm missing, offline, or a tarball that is not the pinned one."""


@dataclass(frozen=True)
class V86:
    """The cached v86 build."""

    directory: Path

    def path(self, name: str) -> Path:
        """Where one of :data:`FILES` is cached (not yet checked: :meth:`read` checks)."""
        return self.directory / name

    def read(self, name: str) -> bytes:
        """One of :data:`FILES`, checked against its pinned SHA-256 as it is read."""
        data = self.path(name).read_bytes()
        if hashlib.sha256(data).hexdigest() != FILES[name]:
            raise V86Unavailable(
                f"{self.path(name)}: not the pinned v86@{VERSION} file; delete it and run again"
            )
        return data


def cached() -> Path:
    """Where the pinned build lives in the user cache."""
    return cache_dir() / f"v86-{VERSION}"


def integrity(data: bytes) -> str:
    """The npm integrity string (Subresource Integrity, SHA-512) of a tarball."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")


def _intact(here: V86) -> bool:
    """Whether every cached file is there and is, byte for byte, the pinned one."""
    try:
        for name in FILES:
            here.read(name)
    except (OSError, V86Unavailable):
        return False
    return True


def _npm_pack(npm: str, scratch: str, timeout: float) -> None:
    """``npm pack`` the pinned version into ``scratch``; on a time-out npm and every child it started are
    killed (it runs in a process group of its own)."""
    command = [npm, "pack", f"v86@{VERSION}", "--pack-destination", scratch, "--silent"]
    with subprocess.Popen(
        command, cwd=scratch, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    ) as npm_process:
        try:
            _, errors = npm_process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(npm_process.pid, signal.SIGKILL)
            npm_process.communicate()
            raise V86Unavailable(
                f"npm pack v86@{VERSION} failed (offline?): no answer in {timeout:g} s"
            ) from None
    if npm_process.returncode:
        detail = errors.decode("utf-8", "replace").strip().splitlines()  # npm's words, in any encoding
        reason = detail[-1] if detail else f"exit code {npm_process.returncode}"
        raise V86Unavailable(f"npm pack v86@{VERSION} failed (offline?): {reason}")


def obtain(timeout: float = _PACK_TIMEOUT) -> V86:
    """The pinned v86 build, fetched with npm into the cache when it is not there intact;
    :class:`V86Unavailable` else."""
    here = V86(cached())
    if _intact(here):
        return here
    npm = shutil.which("npm")
    if npm is None:
        raise V86Unavailable(
            "npm is not installed (Debian/Ubuntu: sudo apt-get install npm); web needs it once"
        )
    with private_directory("v86") as scratch:
        _npm_pack(npm, scratch, timeout)
        tarballs = list(Path(scratch).glob("*.tgz"))
        if len(tarballs) != 1:
            raise V86Unavailable(f"npm pack v86@{VERSION} left no tarball")
        data = tarballs[0].read_bytes()
        if integrity(data) != INTEGRITY:
            raise V86Unavailable(
                f"v86@{VERSION}: the tarball's integrity is not the pinned one; nothing cached"
            )
        here.directory.mkdir(parents=True, exist_ok=True)
        with tarfile.open(tarballs[0]) as archive:
            for name in FILES:
                member = archive.extractfile(f"package/build/{name}")
                if member is None:
                    raise V86Unavailable(f"v86@{VERSION}: the tarball has no build/{name}")
                write_atomically(here.path(name), member.read(), force=True)
    if not _intact(here):
        raise V86Unavailable(f"v86@{VERSION}: its build files are not the pinned ones; nothing usable cached")
    return here
