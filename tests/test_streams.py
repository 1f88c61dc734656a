"""stdout and stdin as the caller left them: a reader that went away ends a command quietly (exit 0);
a closed or full stdout and a closed stdin are exit 2 with one `error:` line; a stderr that cannot be
written loses the messages, never the run. Real file descriptors, real processes.
"""

import json
import os
import subprocess

import pytest

from conftest import FFNET

XOR = "x1,x2,y\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n"
CONFIG = "data: {train: d.csv}\nmodel: {output: sigmoid, hidden: [{units: 2}]}\ntrain: {epochs: 2}\n"
MODEL = {  # the lecture's hand-set XOR network
    "format": "ffnet-model", "version": 1, "features": ["x1", "x2"], "targets": ["y"],
    "output": "sigmoid", "loss": "log_loss", "classes": ["0", "1"], "standardize": None,
    "layers": [{"activation": "relu", "weights": [[1, 1], [1, 1]], "bias": [0, -1]},
               {"activation": "sigmoid", "weights": [[1], [-2]], "bias": [0]}],
}

WRITERS = {
    "train --json": ["train", "c.yaml", "--quiet", "--json", "--out", "out"],
    "eval": ["eval", "m.json", "--data", "d.csv"],
    "eval --json": ["eval", "m.json", "--data", "d.csv", "--json"],
    "predict": ["predict", "m.json", "--data", "d.csv"],
    "gradcheck": ["gradcheck", "c.yaml"],
    "gradcheck --json": ["gradcheck", "c.yaml", "--json"],
    "--version": ["--version"],
    "--help": ["--help"],
    "predict --help": ["predict", "--help"],
}
READERS = {
    "predict": ["predict", "m.json"],
    "eval --data -": ["eval", "m.json", "--data", "-"],
    "train from stdin": ["train", "stdin.yaml", "--quiet", "--out", "out"],
}


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "d.csv").write_text(XOR)
    (tmp_path / "c.yaml").write_text(CONFIG)
    (tmp_path / "stdin.yaml").write_text(CONFIG.replace("d.csv", "'-'"))
    (tmp_path / "m.json").write_text(json.dumps(MODEL))
    return tmp_path


def run(folder, argv, **popen):
    return subprocess.run([*FFNET, *argv], cwd=folder, stderr=subprocess.PIPE, timeout=120, **popen)


def close(fd):
    def preexec():
        os.close(fd)
    return preexec


@pytest.mark.parametrize("argv", WRITERS.values(), ids=WRITERS.keys())
def test_a_reader_that_went_away_ends_the_command_quietly(folder, argv):
    read_end, write_end = os.pipe()
    os.close(read_end)  # `| head` that has already read what it wanted
    try:
        result = run(folder, argv, stdout=write_end, stdin=subprocess.DEVNULL)
    finally:
        os.close(write_end)
    assert (result.returncode, result.stderr) == (0, b"")


@pytest.mark.parametrize("argv", WRITERS.values(), ids=WRITERS.keys())
def test_a_closed_stdout_is_one_error_line_and_exit_2(folder, argv):
    result = run(folder, argv, stdin=subprocess.DEVNULL, preexec_fn=close(1))  # `>&-`
    assert (result.returncode, result.stderr) == (2, b"error: cannot write to stdout: it is closed\n")
    assert not (folder / "out").exists()  # train --json finds out before training


@pytest.mark.parametrize("argv", WRITERS.values(), ids=WRITERS.keys())
def test_a_full_stdout_is_one_error_line_and_exit_2(folder, argv):
    with open("/dev/full", "wb") as full:
        result = run(folder, argv, stdout=full, stdin=subprocess.DEVNULL)
    assert (result.returncode, result.stderr) == (2, b"error: cannot write to stdout: No space left on device\n")


@pytest.mark.parametrize("argv", READERS.values(), ids=READERS.keys())
def test_a_closed_stdin_is_one_error_line_and_exit_2(folder, argv):
    result = run(folder, argv, stdout=subprocess.PIPE, preexec_fn=close(0))  # `<&-`
    assert result.returncode == 2
    assert result.stderr == b"error: <stdin>: stdin is closed; pipe a CSV file into it or pass --data FILE\n"
    assert result.stdout == b"" and not (folder / "out").exists()


@pytest.mark.parametrize("stderr", ["closed", "full"])
def test_a_stderr_that_cannot_be_written_loses_the_messages_not_the_run(folder, stderr):
    with open("/dev/full", "wb") as full:
        result = subprocess.run([*FFNET, "train", "c.yaml", "--out", "out"], cwd=folder, timeout=120,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                **({"stderr": full} if stderr == "full" else {"preexec_fn": close(2)}))
    assert (result.returncode, result.stdout) == (0, b"")
    assert sorted(os.listdir(folder / "out")) == ["metrics.json", "model.json", "state.npz"]


@pytest.mark.parametrize("argv", [WRITERS["eval"], WRITERS["train --json"]], ids=["eval", "train --json"])
def test_a_closed_stdin_does_not_bother_a_command_that_does_not_read_it(folder, argv):
    result = run(folder, argv, stdout=subprocess.PIPE, preexec_fn=close(0))
    assert (result.returncode, result.stderr) == (0, b"")
    assert result.stdout
