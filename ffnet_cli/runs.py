"""Where a run's files go, and how they are written: the run-folder policy, apart from the CLI.

DIR is --out, else output.dir from the config, else runs/<config file stem>. A run's files
(model.json, metrics.json, state.npz) are written to temporary files first and then renamed into
place one after the other, so a failed write never replaces any of them. In the default folder an
earlier run is first moved to previous-N/.
"""

import os
import shutil
import tempfile
from pathlib import Path

from .errors import OutputError
from .fileio import atomic_write

MIN_FREE_BYTES = 1 << 16  # less free space than this: the output disk is full
RUN_FILES = ("model.json", "metrics.json", "state.npz")


def output_folder(out: str | None, cfg) -> tuple[str, bool]:
    """(folder, is_default): --out, else output.dir from the config, else runs/<config stem>.

    Checked writable now, before any training, by writing a scratch file in the folder or its
    nearest existing parent (os.access says yes to root even on a read-only disk); created only
    when there is something to write: a run that fails leaves no empty folders behind.
    """
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
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
        full = shutil.disk_usage(existing).free < MIN_FREE_BYTES
    except OSError as exc:
        raise OutputError(f"the output folder is not writable: {exc.strerror}", file=folder) from None
    if full:
        raise OutputError(f"the disk holding {existing} is full", file=folder)
    return folder, not out and not cfg.output_dir


def make_folder(folder: str) -> None:
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the output folder: {exc.strerror}", file=folder) from None


def move_previous_run(folder: str) -> str | None:
    """Move an earlier run's files into folder/previous-N (N = 1, 2, ...) by renames; return where
    they went, or None when there was no earlier model."""
    if not os.path.isfile(os.path.join(folder, "model.json")):
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
            raise OutputError(f"cannot keep the earlier run: {exc.strerror}", file=target) from None
    try:
        for name in RUN_FILES:
            if os.path.exists(os.path.join(folder, name)):
                os.rename(os.path.join(folder, name), os.path.join(target, name))
    except OSError as exc:
        raise OutputError(f"cannot move the earlier run aside: {exc.strerror}", file=target) from None
    return target


def save_run(folder: str, files: dict, keep_previous: bool) -> str | None:
    """Write a run's files {name: text or bytes} into folder; with keep_previous, an earlier run is
    moved to previous-N first. Returns where the earlier run went, or None."""
    make_folder(folder)
    moved = move_previous_run(folder) if keep_previous else None
    for name, content in files.items():
        atomic_write(os.path.join(folder, name), content)
    return moved
