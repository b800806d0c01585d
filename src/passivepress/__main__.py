from __future__ import annotations

import sys

from passivepress.cli import main

sys.exit(main())
