"""passivepress: a static-site generator for people found through what they publish."""

from __future__ import annotations

__version__ = "0.1.0"
