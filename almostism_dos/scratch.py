"""Private temporary directories, named for the process that made them, and swept once it is gone.

A command stopped by SIGKILL cannot remove its own: QEMU's socket, Bochs's link to the image, DOSBox's
link to the user's image, the copy ``--keep`` boots stayed behind in the temporary directory (measured).
Each directory's name carries its process's id, so the next ``run`` removes those whose process is gone:
only directories (never a link), only this user's, never one a living process may still use.
"""

from __future__ import annotations

import os
import stat

TYPE_CHECKING = False  # (not typing's: loaded before QEMU starts, see emulators/qemu_launch.py)
if TYPE_CHECKING:
    import tempfile

PREFIX = "almostism-"
_OURS = rf"^{PREFIX}[a-z0-9]+-(\d+)-"  # (the standard library here loads when used: QEMU's launch
# names its directory before anything else of a run has loaded, see emulators/qemu_launch.py)


def name_prefix(kind: str) -> str:
    """The start of the name of a directory of ours for ``kind``: the process's id is in it."""
    return f"{PREFIX}{kind}-{os.getpid()}-"


def private_directory(kind: str, home: str | None = None) -> tempfile.TemporaryDirectory[str]:
    """A temporary directory for ``kind`` (``qemu``, ``keep``, ...) in ``home`` (the temporary directory
    by default), its name carrying this process's id."""
    import tempfile

    return tempfile.TemporaryDirectory(prefix=name_prefix(kind), dir=home)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # (someone else's process: alive)
        return True
    return True


def sweep(*homes: str) -> list[str]:
    """Remove the directories of ours in ``homes`` (the temporary directory, by default) whose process
    has gone; the paths removed."""
    import contextlib
    import re
    import shutil
    import tempfile

    ours = re.compile(_OURS)
    removed = []
    for home in dict.fromkeys(homes or (tempfile.gettempdir(),)):
        with contextlib.suppress(OSError):
            for entry in os.scandir(home):
                found = ours.match(entry.name)
                if found is None or int(found[1]) == os.getpid() or _alive(int(found[1])):
                    continue
                with contextlib.suppress(OSError):
                    info = entry.stat(follow_symlinks=False)
                    if stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid():
                        shutil.rmtree(entry.path)  # (a link inside is removed, never followed)
                        removed.append(entry.path)
    return removed
