"""The Swarm test's figures for the report: `make test-swarm`, run once.

The test is part of `make test`; `python -m bench swarm` runs it the same way
(tests/swarm/stack-test.sh under the Docker lock and a timeout) and keeps the line
of figures each phase printed (deploy, rolling update, rollback, drain, node loss)
in results.json, with the machine it ran on.
"""

import json
import os
import subprocess
import tempfile
from pathlib import Path

from bench import machine
from bench.stack import ROOT

COMMAND = ("make", "--no-print-directory", "test-swarm")


def run(command=COMMAND) -> dict | None:
    """The figures of one passing run of `command`, or None if it failed."""
    with tempfile.TemporaryDirectory() as tmp:
        figures = Path(tmp) / "swarm.json"
        completed = subprocess.run(
            command,
            cwd=ROOT,
            env={**os.environ, "SWARM_FIGURES": str(figures)},
            check=False,
        )
        # The script writes its figures last, so a file means every phase passed.
        if completed.returncode != 0 or not figures.exists():
            return None
        return {
            **json.loads(figures.read_text()),
            "commit": machine.commit(),
            "machine": machine.describe(),
        }
