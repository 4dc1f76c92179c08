"""v86, pinned: ``npm pack`` fetches its tarball, we check the pinned integrity hash, and keep the two files
the page needs (``libv86.js``, ``v86.wasm``) in the user cache, as FreeDOS is kept.

No registry address is written here: npm uses whichever registry its own configuration names.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..outputs import write_atomically
from ..paths import cache_dir

VERSION = "0.5.462"
INTEGRITY = "sha512-aKPX7DdzqAKFRv2omDkqSju0uEzlOxzo+II82J5UT7+tZNsboA6kyaNq9NKAnxvo9hzpJ8dQj7vcvcz0J7I2QA=="
FILES = ("libv86.js", "v86.wasm")  # what the page loads, from the tarball's package/build/
_PACK_TIMEOUT = 300  # seconds for npm to fetch the tarball


class V86Unavailable(Exception):
    """v86 could not be had: npm missing, offline, or a tarball that is not the pinned one."""


@dataclass(frozen=True)
class V86:
    """The cached v86 build."""

    directory: Path

    def path(self, name: str) -> Path:
        """One of :data:`FILES`."""
        return self.directory / name


def cached() -> Path:
    """Where the pinned build lives in the user cache."""
    return cache_dir() / f"v86-{VERSION}"


def integrity(data: bytes) -> str:
    """The npm integrity string (Subresource Integrity, SHA-512) of a tarball."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")


def obtain(timeout: float = _PACK_TIMEOUT) -> V86:
    """The pinned v86 build, fetched with npm into the cache the first time; :class:`V86Unavailable` else."""
    here = V86(cached())
    if all(here.path(name).is_file() for name in FILES):
        return here
    npm = shutil.which("npm")
    if npm is None:
        raise V86Unavailable(
            "npm is not installed (Debian/Ubuntu: sudo apt-get install npm); web needs it once"
        )
    with tempfile.TemporaryDirectory(prefix="almostism-v86-") as scratch:
        try:
            subprocess.run(
                [npm, "pack", f"v86@{VERSION}", "--pack-destination", scratch, "--silent"],
                capture_output=True, text=True, timeout=timeout, check=True, cwd=scratch,
            )  # fmt: skip
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
            detail = (getattr(error, "stderr", "") or "").strip().splitlines()
            reason = detail[-1] if detail else "no answer"
            raise V86Unavailable(f"npm pack v86@{VERSION} failed (offline?): {reason}") from None
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
    return here
