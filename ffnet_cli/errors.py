"""The one family of exceptions that library code raises; the CLI turns them into `error:` lines."""


class FfnetError(Exception):
    """Invalid input: a message, the file it concerns and the place in it. Exit code 2."""

    exit_code = 2

    def __init__(self, message: str, *, file: str | None = None, where: str | None = None):
        super().__init__(message)
        self.message = message
        self.file = file
        self.where = where

    def __str__(self) -> str:
        place = ": ".join(str(p) for p in (self.file, self.where) if p)
        return f"{place}: {self.message}" if place else self.message


def read_file(path: str, error: type[FfnetError], kind: str, limit: int | None = None, size: int = -1) -> bytes:
    """The bytes of a file, or of its first `size` bytes; every failure is an `error` naming the file.

    `kind` names what the file should be ("config", "data", "model"); a file larger than `limit`
    bytes is refused after reading at most limit + 1 of them (a pipe or device has no size).
    """
    try:
        with open(path, "rb") as f:
            data = f.read(size if limit is None else limit + 1)
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
    if limit is not None and len(data) > limit:
        raise error(f"{kind} file is larger than {limit // 2**20} MiB", file=path)
    return data


class ConfigError(FfnetError):
    """A config file or `--set` override is invalid; `where` is the dotted key path."""


class DataError(FfnetError):
    """A data file is invalid; `where` is `line L, column C ('name')` or similar."""


class ModelFileError(FfnetError):
    """A model file is invalid; `where` is a JSON path such as `layers[1].weights`."""


class OutputError(FfnetError):
    """An output path cannot be written."""


class DivergedError(FfnetError):
    """Training produced NaN or inf. The command ran but failed: exit code 1."""

    exit_code = 1
