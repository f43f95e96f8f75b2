"""Runs the benchmark suite: ``python bench/run.py [--quick] [--sizes ...] [--stores ...]``."""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from bench.suite import main

    sys.exit(main())
