"""almostism-dos: build, export and boot the Almostism scripture."""

__version__ = "0.2.0"
