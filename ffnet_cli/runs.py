"""Where a run's files go, and how they are written: the run-folder policy, apart from the CLI.

DIR is --out, else output.dir from the config, else runs/<config file stem>. A run's files
(model.json, metrics.json, state.npz) are replaced together or not at all: each is first written
in full to a temporary file beside its place, and only when all are on disk are they renamed in,
under a lock on the folder, with stop signals held back. In the default folder the earlier run
moves to previous-N/ in the same locked step, so runs saving at once take turns and each keeps
its files.
"""

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # not POSIX: runs saving into one folder at once are not kept apart
    fcntl = None

from .errors import OutputError
from .fileio import deferred, fsync_folder, remove_quietly, write_temporary

MIN_FREE_BYTES = 1 << 16  # less free space than this: the output disk is full
RUN_FILES = ("model.json", "metrics.json", "state.npz")
EARLIER_FILES = RUN_FILES + ("model.last-finite.json",)  # what moves to previous-N/ in the default folder
LONGEST_INSIDE = len("previous-999999/.model.last-finite.json.00000000.tmp")  # the longest path ffnet makes in DIR


def output_folder(out: str | None, cfg) -> tuple[str, bool]:
    """(folder, is_default): --out, else output.dir from the config, else runs/<config stem>.

    Checked writable now, before any training, by writing a scratch file in the folder or its
    nearest existing parent (os.access says yes to root even on a read-only disk); created only
    when there is something to write: a run that fails leaves no empty folders behind.
    """
    if out == "":
        raise OutputError("the output folder name is empty", file="''")
    folder = out or cfg.output_dir or os.path.join("runs", Path(cfg.path).stem)
    if "\0" in folder:
        raise OutputError("invalid folder name", file=repr(folder))
    for name in RUN_FILES:
        if os.path.isdir(os.path.join(folder, name)):
            raise OutputError(f"{name} in the output folder is a folder, not a file", file=folder)
    existing = os.path.abspath(folder)
    while not os.path.lexists(existing) and os.path.dirname(existing) != existing:
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        raise OutputError(f"cannot create the output folder: {existing} is a file", file=folder)
    _check_name_lengths(folder, existing)
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
        full = shutil.disk_usage(existing).free < MIN_FREE_BYTES
    except OSError as exc:
        raise OutputError(f"the output folder is not writable: {exc.strerror}", file=folder) from None
    if full:
        raise OutputError(f"the disk holding {existing} is full", file=folder)
    return folder, not out and not cfg.output_dir


def _check_name_lengths(folder: str, existing: str) -> None:
    """Names the system would refuse (longer than NAME_MAX, or paths than PATH_MAX) fail now, not
    after training."""
    name_max, path_max = os.pathconf(existing, "PC_NAME_MAX"), os.pathconf(existing, "PC_PATH_MAX")
    for part in Path(folder).parts:
        if len(os.fsencode(part)) > name_max:
            raise OutputError(f"a folder name is longer than this system allows ({name_max} bytes): "
                              f"{part[:20]}...", file=folder[:60] + "...")
    if len(os.fsencode(folder)) + 1 + LONGEST_INSIDE >= path_max:
        raise OutputError(f"the path is too long for this system (at most {path_max - LONGEST_INSIDE - 2} bytes)",
                          file=folder[:60] + "...")


def make_folder(folder: str) -> list[str]:
    """Create folder and its missing parents; returns those it created, deepest first."""
    created, path = [], os.path.abspath(folder)
    while not os.path.isdir(path) and os.path.dirname(path) != path:
        created.append(path)
        path = os.path.dirname(path)
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        _remove_empty(created)
        raise OutputError(f"cannot create the output folder: {exc.strerror}", file=folder) from None
    return created


def _remove_empty(folders: list[str]) -> None:
    for path in folders:
        try:
            os.rmdir(path)
        except OSError:  # not empty (another run writes there too), or already gone
            return


@contextmanager
def _locked(folder: str):
    """An exclusive lock on the folder itself: runs saving into it take turns; nothing is left behind."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)  # released when fd is closed, or the process ends
        yield
    finally:
        os.close(fd)


def move_previous_run(folder: str) -> str | None:
    """Move an earlier run's files into folder/previous-N (N = 1, 2, ...) by renames; return where
    they went, or None when there was none. On failure everything is moved back."""
    present = [name for name in EARLIER_FILES if os.path.lexists(os.path.join(folder, name))]
    if not present:
        return None
    n = 1
    while True:
        target = os.path.join(folder, f"previous-{n}")
        try:
            os.mkdir(target)  # fails if it exists: an earlier previous-N is never overwritten
            break
        except FileExistsError:
            n += 1
        except OSError as exc:
            raise OutputError(f"cannot keep the earlier run aside: {exc.strerror}; nothing was written",
                              file=target) from None
    moved = []
    try:
        for name in present:
            os.rename(os.path.join(folder, name), os.path.join(target, name))
            moved.append(name)
    except OSError as exc:
        for name in moved:
            os.rename(os.path.join(target, name), os.path.join(folder, name))
        os.rmdir(target)
        raise OutputError(f"cannot move the earlier run aside: {exc.strerror}; it is unchanged and nothing "
                          "was written", file=target) from None
    fsync_folder(target)
    return target


def save_run(folder: str, files: dict, keep_previous: bool) -> str | None:
    """Write a run's files {name: text or bytes} into folder, all of them or none; with keep_previous,
    an earlier run is moved to previous-N first. Returns where the earlier run went, or None."""
    with deferred():
        created = make_folder(folder)
        temporaries = {}
        earlier = (f"the earlier files in {folder} are unchanged"
                   if any(os.path.exists(os.path.join(folder, name)) for name in files) else "nothing was written")
        try:
            for name, content in files.items():
                path = os.path.join(folder, name)
                try:
                    temporaries[name] = write_temporary(path, content)
                except OSError as exc:
                    raise OutputError(f"cannot write: {exc.strerror}; {earlier}", file=path) from None
            with _locked(folder):
                moved = move_previous_run(folder) if keep_previous else None
                _rename_in(folder, temporaries, moved)
        except BaseException:
            for tmp in temporaries.values():
                remove_quietly(tmp)
            _remove_empty(created)
            raise
        fsync_folder(folder)
    return moved


def _rename_in(folder: str, temporaries: dict, moved: str | None) -> None:
    """Rename the complete temporaries to their names. Renames in one folder of files already on disk
    do not run out of space; should one fail all the same, the message says what the folder holds."""
    done = []
    for name, tmp in list(temporaries.items()):
        try:
            os.replace(tmp, os.path.join(folder, name))
        except OSError as exc:
            held = (f"only {', '.join(done)} of the new run is in place" if done
                    else f"the earlier run is in {moved}" if moved else "the earlier files are unchanged")
            raise OutputError(f"cannot put {name} in place: {exc.strerror}; {held}", file=folder) from None
        del temporaries[name]
        done.append(name)
