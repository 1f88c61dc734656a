"""Shared test helpers: run the real CLI in a subprocess, and paths to the shipped examples."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "configs"
DATASETS = ROOT / "datasets"
FFNET = [sys.executable, "-m", "ffnet_cli"]  # the CLI as a subprocess, in the interpreter running the tests


def default_signals():
    """preexec_fn for a CLI that a test sends signals to: SIGINT, SIGTERM and SIGHUP as a shell's
    foreground job has them, also when the tests run in a background job or under nohup (which
    ignore SIGINT or SIGHUP; ffnet keeps ignoring what its caller ignores)."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)


def run_ffnet(*args, cwd=None, input=None, timeout=120):
    """Run `python -m ffnet_cli ARGS`; returns the CompletedProcess with text stdout and stderr."""
    env = dict(os.environ, COLUMNS="200")
    return subprocess.run([*FFNET, *map(str, args)], cwd=cwd, input=input,
                          capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture
def ffnet(tmp_path):
    """run_ffnet with the working directory set to the test's own tmp folder."""
    def run(*args, input=None, cwd=None):
        return run_ffnet(*args, cwd=cwd or tmp_path, input=input)
    return run
