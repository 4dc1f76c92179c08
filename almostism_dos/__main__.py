"""``python -m almostism_dos``: the same as the ``almostism-dos`` command."""

import sys

from .entry import console_main

sys.exit(console_main())
