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
