"""A run's files are replaced together or not at all, with the permissions of the user's umask.

Failed writes are real ones: a file-size limit (`ulimit -f`) set in the child process, and a full
file system (a small tmpfs, where this machine lets the tests mount one).
"""

import os
import resource
import subprocess

import pytest

from conftest import FFNET

XOR = "x1,x2,y\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n"
CONFIG = "data: {{train: d.csv}}\nmodel: {{output: sigmoid, hidden: {hidden}}}\ntrain: {{epochs: {epochs}}}\n"
RUN_FILES = ["metrics.json", "model.json", "state.npz"]


def ffnet(folder, *args, preexec_fn=None):
    return subprocess.run([*FFNET, *args], cwd=folder, capture_output=True, text=True, timeout=120,
                          preexec_fn=preexec_fn)


def setup(folder, hidden="[{units: 2}]", epochs=2):
    (folder / "d.csv").write_text(XOR)
    (folder / "c.yaml").write_text(CONFIG.format(hidden=hidden, epochs=epochs))


def contents(folder):
    """Every file under folder (hidden ones too): relative path -> bytes."""
    found = {}
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                found[os.path.relpath(path, folder)] = f.read()
    return found


def file_size_limit(limit):
    def preexec():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return preexec


# 2 epochs: model.json and metrics.json fit under 4 KiB, state.npz does not; 60 epochs: metrics.json
# does not fit either. Written one by one, the first would leave a new model beside old metrics.
@pytest.mark.parametrize("epochs", [2, 60])
@pytest.mark.parametrize("where", [[], ["--out", "out"]], ids=["default folder", "--out"])
def test_a_run_too_large_to_write_leaves_the_earlier_run_whole_and_no_temporary(tmp_path, where, epochs):
    setup(tmp_path, epochs=epochs)
    first = ffnet(tmp_path, "train", "c.yaml", "--quiet", *where)
    assert first.returncode == 0, first.stderr
    folder = "out" if where else "runs/c"
    earlier = contents(tmp_path / folder)
    assert sorted(earlier) == RUN_FILES

    second = ffnet(tmp_path, "train", "c.yaml", "--quiet", "--set", "seed=1", *where,
                   preexec_fn=file_size_limit(4096))
    assert second.returncode == 2
    assert second.stderr.startswith(f"error: {folder}/") and second.stderr.count("\n") == 1, second.stderr
    assert f"cannot write: File too large; the earlier files in {folder} are unchanged" in second.stderr
    assert contents(tmp_path / folder) == earlier  # no previous-1, no temporary, not a byte changed


def test_a_run_too_large_to_write_into_a_new_folder_leaves_no_folder(tmp_path):
    setup(tmp_path)
    result = ffnet(tmp_path, "train", "c.yaml", "--quiet", "--out", "new/deeper/out",
                   preexec_fn=file_size_limit(4096))
    assert result.returncode == 2
    assert "new/deeper/out/state.npz: cannot write: File too large; nothing was written" in result.stderr
    assert sorted(os.listdir(tmp_path)) == ["c.yaml", "d.csv"]


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MiB tmpfs at tmp_path/disk: a real file system that fills up."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root); the ulimit -f tests cover failed writes")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=True)


def fill(disk, leave):
    """Fill the file system holding disk until `leave` bytes are free."""
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    with open(disk / "filler", "wb") as f:
        f.write(b"\0" * (free - leave))


@pytest.mark.parametrize("where", [[], ["--out", "out"]], ids=["default folder", "--out"])
def test_a_full_disk_leaves_the_earlier_run_whole_and_no_temporary(small_disk, where):
    # 100 x 100 units: model.json is about 200 KB, more than the disk has left after the first run
    setup(small_disk, hidden="[{units: 100}, {units: 100}]")
    first = ffnet(small_disk, "train", "c.yaml", "--quiet", *where)
    assert first.returncode == 0, first.stderr
    folder = "out" if where else "runs/c"
    earlier = contents(small_disk / folder)
    fill(small_disk, leave=100_000)

    second = ffnet(small_disk, "train", "c.yaml", "--quiet", "--set", "seed=1", *where)
    assert second.returncode == 2
    assert (f"cannot write: No space left on device; the earlier files in {folder} are unchanged"
            in second.stderr), second.stderr
    assert contents(small_disk / folder) == earlier

    os.unlink(small_disk / "filler")  # room again: the next run is saved, and the earlier one kept
    third = ffnet(small_disk, "train", "c.yaml", "--quiet", "--set", "seed=1", *where)
    assert third.returncode == 0, third.stderr
    assert sorted(os.listdir(small_disk / folder)) == sorted(RUN_FILES + ([] if where else ["previous-1"]))


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_files_get_the_permissions_of_the_umask(tmp_path, umask):
    setup(tmp_path)
    (tmp_path / "runs/c").mkdir(parents=True)
    (tmp_path / "runs/c/model.json").write_text("an earlier run\n")
    (tmp_path / "r.csv").write_text("x,y\n" + "".join(f"{x},{3 * x}\n" for x in range(1, 21)))
    (tmp_path / "diverging.yaml").write_text("data: {train: r.csv, standardize: false}\nmodel: {output: linear}\n"
                                             "train: {epochs: 20, batch_size: 2, learning_rate: 1e6}\n")

    def set_umask():
        os.umask(umask)
    trained = ffnet(tmp_path, "train", "c.yaml", "--quiet", preexec_fn=set_umask)
    assert trained.returncode == 0, trained.stderr
    diverged = ffnet(tmp_path, "train", "diverging.yaml", "--quiet", "--keep-diverged", "--out", "d",
                     preexec_fn=set_umask)
    assert diverged.returncode == 1, diverged.stderr

    def mode(path):
        return oct(os.stat(tmp_path / path).st_mode & 0o777)
    for name in RUN_FILES:
        assert mode(f"runs/c/{name}") == oct(0o666 & ~umask), name
    assert mode("d/model.last-finite.json") == oct(0o666 & ~umask)
    assert mode("runs/c/previous-1") == oct(0o777 & ~umask)
    assert mode("runs/c/previous-1/model.json") == oct(0o644)  # moved, not rewritten: as it was
