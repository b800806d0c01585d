from __future__ import annotations

from passivepress.cli import run

run()
