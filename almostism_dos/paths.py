"""Where almostism-dos keeps things of its own on the user's machine."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """The user cache directory: ``$XDG_CACHE_HOME/almostism-dos`` (default ``~/.cache/almostism-dos``).
    A relative ``XDG_CACHE_HOME`` is ignored, as the XDG Base Directory specification says."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        base = str(Path.home() / ".cache")
    return Path(base) / "almostism-dos"
