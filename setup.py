"""Package discovery, the one part of the build pyproject.toml cannot say.

Every package under ``almostism_dos/`` is found, so a new subpackage ships without anyone remembering to
list it; the repository's top-level ``asm/`` ships inside the package as ``almostism_dos.asm``. Metadata
lives in pyproject.toml.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["almostism_dos", "almostism_dos.*"]), "almostism_dos.asm"],
    package_dir={"almostism_dos.asm": "asm"},
)
