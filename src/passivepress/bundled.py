"""Files that ship with passivepress: the default theme.

Kept apart from :mod:`passivepress.theme` (which loads Jinja) so that the quick check of
:mod:`passivepress.uptodate` can find the theme's files without loading the pipeline.
"""

from __future__ import annotations

from pathlib import Path


def builtin_theme_dir() -> Path:
    """The default theme: inside the installed package, or at the repository root."""
    here = Path(__file__).resolve().parent
    packaged = here / "themes" / "default"
    if packaged.is_dir():
        return packaged
    return here.parents[1] / "themes" / "default"
