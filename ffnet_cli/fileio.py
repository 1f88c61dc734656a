"""Files in and out: bounded reads, JSON that never holds NaN, and atomic writes."""

import json
import os
import secrets

from .errors import FfnetError, OutputError
from .interrupts import deferred


def open_file(path: str, error: type[FfnetError], kind: str):
    """The file opened for reading bytes; every failure is an `error` naming the file.

    `kind` names what the file should be ("config", "data", "model").
    """
    if path == "":
        raise error("the file name is empty", file="''")
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise error("no such file", file=path) from None
    except IsADirectoryError:
        raise error(f"is a directory, not a {kind} file", file=path) from None
    except PermissionError:
        raise error("permission denied", file=path) from None
    except OSError as e:
        raise error(f"cannot read the file ({e.strerror or e})", file=path) from None
    except ValueError:  # a NUL byte in the name
        raise error("invalid file name", file=repr(path)) from None


def read_file(path: str, error: type[FfnetError], kind: str, limit: int | None = None, size: int = -1) -> bytes:
    """The bytes of a file, or of its first `size` bytes; every failure is an `error` naming the file.

    A file larger than `limit` bytes is refused after reading at most limit + 1 of them (a pipe or
    device has no size).
    """
    with open_file(path, error, kind) as f:
        try:
            data = f.read(size if limit is None else limit + 1)
        except OSError as e:  # a folder opens on some systems, then fails to read
            raise error(f"cannot read the file ({e.strerror or e})", file=path) from None
    if limit is not None and len(data) > limit:
        raise error(f"{kind} file is larger than {limit // 2**20} MiB", file=path)
    return data


def dumps(obj) -> str:
    """JSON text for a file users rely on: no NaN or Infinity, ever."""
    return json.dumps(obj, indent=1, allow_nan=False) + "\n"


def write_temporary(path: str, content: str | bytes) -> str:
    """Write text (UTF-8) or bytes to a new hidden file beside path, flushed to disk; returns its name.

    The file gets the permissions of the user's umask, like any file a program creates (mkstemp
    would give 0600). On failure nothing is left behind and the OSError is raised.
    """
    folder, name = os.path.split(path)
    while True:
        tmp = os.path.join(folder, f".{name}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content.encode("utf-8") if isinstance(content, str) else content)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        remove_quietly(tmp)
        raise
    return tmp


def remove_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def atomic_write(path: str, content: str | bytes) -> None:
    """Write text (UTF-8) or bytes to path so that a reader sees the old file or the new one, never half of one.

    The text goes to a temporary file in the same folder, is flushed to disk, then replaces path
    in one rename. A stop signal (Ctrl-C) in the meantime acts once the file is complete.
    """
    with deferred():
        tmp = None
        try:
            tmp = write_temporary(path, content)
            os.replace(tmp, path)
        except OSError as exc:
            if tmp is not None:
                remove_quietly(tmp)
            raise OutputError(f"cannot write: {exc.strerror}; the previous file, if any, is unchanged",
                              file=path) from None
        fsync_folder(os.path.dirname(path) or ".")


def fsync_folder(folder: str) -> None:
    """Make the rename itself durable (POSIX); best effort, as some systems cannot open a folder."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
