"""The liturgy in a browser: a static site that boots a floppy in v86 (an x86 PC compiled to WebAssembly).

:mod:`.v86` gets the pinned v86 build into the user cache, :mod:`.site` writes the site (page, emulator,
BIOS files, a copy of the floppy), :mod:`.serve` serves it on 127.0.0.1.
"""
