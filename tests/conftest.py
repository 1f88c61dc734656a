"""Shared test helpers: run the real CLI in a subprocess, and paths to the shipped examples."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "configs"
DATASETS = ROOT / "datasets"
FFNET = [sys.executable, "-m", "ffnet_cli"]  # the CLI as a subprocess, in the interpreter running the tests


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
