"""``python -m bench.worker SPEC.json``: runs one job and writes its JSON lines.

The scale job runs without Streamlit: its worker never imports it (``bench.jobs``
and ``bench.session`` do, so they are imported only for the other jobs).
"""

from __future__ import annotations

import sys
from pathlib import Path

from bench.sink import Sink
from bench.spec import JobSpec


def main(argv: list[str]) -> int:
    spec = JobSpec.load(Path(argv[1]))
    sink = Sink(Path(spec.out))
    if spec.kind == "scale":
        from bench.scale import run_scale

        run_scale(spec, sink)
    else:
        from bench.jobs import JOBS
        from bench.session import ActionFailed

        try:
            JOBS[spec.kind](spec, sink)
        except ActionFailed as e:
            sink.drain()
            sink.error(spec.kind, str(e))
    sink.info("finished", True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
