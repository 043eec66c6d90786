"""The processes a command starts end with it: however the command ends (an error, Ctrl-C, SIGTERM, or SIGKILL),
no worker, Jupyter Book or kernel it started goes on writing after it."""

from __future__ import annotations

import functools
import os
import signal
import subprocess


def die_with_parent(sig: int = signal.SIGKILL, parent: int | None = None) -> None:
    """Ask Linux to send ``sig`` to this process when its parent ends (prctl PR_SET_PDEATHSIG); if the parent
    (``parent``, else the multiprocessing parent) ended before the request was made, send it now."""
    import ctypes

    if parent is None:
        import multiprocessing

        found = multiprocessing.parent_process()
        parent = found.pid if found is not None else None
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, int(sig))  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the workers end when their queue closes
        return
    if parent is not None and os.getppid() != parent:
        os.kill(os.getpid(), sig)


def tied_worker() -> None:
    """A pool worker's start: Ctrl-C is the main process's to handle, and the worker dies with it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(signal.SIGKILL)


def popen(cmd: list[str], **kwargs) -> subprocess.Popen:
    """Start ``cmd`` in its own process group, killed by Linux if this process dies (see :func:`kill`)."""
    tie = functools.partial(die_with_parent, signal.SIGKILL, os.getpid())  # runs in the child before exec
    return subprocess.Popen(cmd, start_new_session=True, preexec_fn=tie, **kwargs)


def kill(proc: subprocess.Popen) -> None:
    """End ``proc`` and everything it started (its process group), and reap it."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            proc.kill()
    proc.wait()


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    """:func:`subprocess.run` with its output captured as text, except that the command and whatever it started
    end with this process: on any exception here (Ctrl-C, SIGTERM) they are killed before it propagates."""
    proc = popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)
    try:
        out, err = proc.communicate()
    except BaseException:
        kill(proc)
        raise
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the main process is, so that it ends as Ctrl-C does: workers and their kernels
    stopped, unfinished folders removed, the previous site whole, and the lock released last."""


def _terminated(signum, frame) -> None:
    raise Terminated()


def end_on_sigterm() -> None:
    """Make SIGTERM end this process as Ctrl-C does (see :class:`Terminated`)."""
    signal.signal(signal.SIGTERM, _terminated)
