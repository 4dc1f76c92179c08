"""``python -m almostism_dos``: the same as the ``almostism-dos`` command."""

import sys

from .cli import main

sys.exit(main())
