"""How an image runs: one :class:`~.base.Emulator` per emulator, each in its own module.

The registry below is the only place that knows which emulators exist: the command line reads its
``--emulator`` choices from it, and adding an emulator means one new module and one line here.
Modules are imported only when asked for, so a build never loads pexpect.
"""

from __future__ import annotations

from importlib import import_module

TYPE_CHECKING = False  # (not typing's: this package loads before QEMU starts, see qemu_launch.py)
if TYPE_CHECKING:
    from .base import Emulator

REGISTRY: dict[str, str] = {  # run --emulator NAME: "module:class"
    "qemu": "qemu:Qemu",
    "dosbox": "dosbox:Dosbox",
    "bochs": "bochs:Bochs",
    "browser": "browser:Browser",
    "mame": "mame:Mame",
}
DEFAULT = "qemu"
BOOT_AS = {"floppy": "floppy", "disk": "hard disk", "usb": "USB stick"}  # run --as VALUE: what it boots as
MACHINES = {"ibm5160": "IBM PC/XT (5160)", "ibm5150": "IBM PC (5150)"}  # run --machine NAME (MAME): title
DEFAULT_MACHINE = "ibm5160"
ROMS_VARIABLE = "ALMOSTISM_MAME_ROMS"  # the directory of MAME's ROM sets, when --rompath names none
TIMEOUT = 60.0  # seconds a boot may take before it counts as hung (run --timeout, and every caller)


def emulator_class(name: str) -> type[Emulator]:
    """The emulator registered as ``name``; KeyError for an unknown one."""
    module, _, cls = REGISTRY[name].partition(":")
    found: type[Emulator] = getattr(import_module(f"{__name__}.{module}"), cls)
    return found


def all_emulators() -> list[type[Emulator]]:
    """Every registered emulator, in registry order."""
    return [emulator_class(name) for name in REGISTRY]


def accepting(option: str, boot_as: str = "floppy") -> list[str]:
    """The names of the emulators that honour the :class:`~.base.RunOptions` field ``option`` booting an
    image as ``boot_as``."""
    return [kind.name for kind in all_emulators() if kind.honours(option, boot_as)]
