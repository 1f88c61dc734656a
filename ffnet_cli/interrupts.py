"""Signals that stop ffnet (SIGINT, SIGTERM, SIGHUP): noted at once, acted on where nothing is lost.

The CLI installs `handle` for them before anything else (entry.py). Until training starts, a
signal raises Interrupted: nothing can be lost yet, so the command ends at once. Once training
runs (`stop_softly`), a signal only asks the loop to stop at the next minibatch, and the run is
saved. Inside `deferred()` (files being written) no signal acts until the block ends.
Standard library only: this module is imported before anything heavy.
"""

import os
import signal
from contextlib import contextmanager

EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGHUP: 129}  # 128 + the signal's number


class Interrupted(BaseException):
    """A signal ended the command. A BaseException, so that no `except Exception` swallows it."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.exit_code = EXIT_CODES[signum]


def behind(exc: BaseException | None) -> "Interrupted | None":
    """The Interrupted that `exc` is, or that caused it: Python wraps what a signal handler raises
    in some places (in 3.11, a class body's `__set_name__` turns it into a RuntimeError)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, Interrupted):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


_state = {"signum": None, "soft": False, "installed": False}  # the first signal; training runs; handled


def handle(signum, frame) -> None:
    if _state["signum"] is not None and _state["soft"]:
        say("already stopping; please wait\n")
    if _state["signum"] is None:
        _state["signum"] = signum
    if not _state["soft"]:
        raise Interrupted(_state["signum"])


def say(text: str) -> None:
    """A line on stderr from a signal handler: os.write, as the interrupted code may be printing."""
    try:
        os.write(2, text.encode())
    except OSError:
        pass


def install() -> dict:
    """Handle the stop signals from now on; returns the handlers they had (for `restore`).

    A signal that the caller ignores stays ignored, as is the custom: `nohup ffnet train ...` is not
    stopped by SIGHUP, nor is a background job of a script by the terminal's Ctrl-C.
    """
    _state.update(signum=None, soft=False, installed=True)
    previous = {sig: signal.getsignal(sig) for sig in EXIT_CODES}
    for sig, handler in previous.items():
        if handler is not signal.SIG_IGN:
            signal.signal(sig, handle)
    return previous


def installed() -> bool:
    return _state["installed"]


def restore(previous: dict) -> None:
    _state["installed"] = False
    for sig, handler in previous.items():
        signal.signal(sig, handler if handler is not None else signal.SIG_DFL)


def stop_softly() -> None:
    """From now on a signal asks training to stop at the next minibatch instead of ending the command.

    A signal that came before, whose Interrupted some library swallowed (a bare `except:`, a
    finalizer), ends the command now.
    """
    if _state["signum"] is not None:
        raise Interrupted(_state["signum"])
    _state["soft"] = True


def stop_requested() -> bool:
    return _state["signum"] is not None


def exit_code() -> int | None:
    """The exit code of the first signal received, or None."""
    return None if _state["signum"] is None else EXIT_CODES[_state["signum"]]


@contextmanager
def deferred():
    """No stop signal acts inside the block; the first one that arrives is delivered when it ends.

    Whatever handles the signal outside (ffnet's, Python's KeyboardInterrupt, the default that
    kills the process) then acts as usual, after the files are complete. Signal handlers belong to
    the main thread; elsewhere the block runs as it is.
    """
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending = []
    previous = {sig: signal.signal(sig, lambda signum, frame: pending.append(signum)) for sig in EXIT_CODES}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        if pending:
            signal.raise_signal(pending[0])
