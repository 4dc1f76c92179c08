"""``python -m almostism_dos``: the same as the ``almostism-dos`` command."""

import sys

from .cli import console_main

sys.exit(console_main())
