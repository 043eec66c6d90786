"""The kernels a build runs its notebooks in: on Unix sockets, checked ready, retried, named when they fail.

A kernel on TCP takes five ports that jupyter_client picks as free and releases before the kernel binds
them, so under load another process can take one in between and the kernel dies at start. A kernel on
Unix sockets (ZeroMQ's ``ipc`` transport) binds files in a private folder instead: nothing to race for.
Each start is checked (the kernel answers) and retried; the last try falls back to TCP with new ports,
for a platform without Unix sockets. If every try fails, the error names what the kernel was for.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from cscbook.errors import UserError

#: Arguments every build kernel starts with: its own start-up chatter stays out of the build's output.
KERNEL_ARGS = ["--IPKernelApp.log_level=CRITICAL"]
#: The transports tried in turn.
TRANSPORTS = ("ipc", "ipc", "tcp")
#: The socket folders' names begin with this and the pid of the process that made them.
PREFIX = "cscbook-kernel-"
#: Seconds a new kernel has to answer.
READY_SECONDS = 120


def _manager_class():
    """AsyncKernelManager that keeps the clients it hands out, so that they can be closed.

    nbclient closes its client only when it owns the manager; a batch that runs many notebooks in one
    kernel would otherwise leave each notebook's sockets and heartbeat thread open (a build of every
    profile then runs out of file descriptors)."""
    from jupyter_client.manager import AsyncKernelManager

    class BuildKernelManager(AsyncKernelManager):
        def client(self, **kwargs):
            kc = super().client(**kwargs)
            self.__dict__.setdefault("_handed_out", []).append(kc)
            return kc

        def release_clients(self) -> None:
            """Close every client handed out so far: their sockets, their heartbeat threads."""
            for kc in self.__dict__.pop("_handed_out", []):
                kc.stop_channels()

    return BuildKernelManager


@contextmanager
def kernel(cwd: Path, what: str):
    """A started kernel manager whose kernel runs in ``cwd``; ``what`` names it in an error ('chapter
    demand'). Call ``km.release_clients()`` after each notebook run in it. The kernel is shut down, its
    clients closed and its socket folder removed when the block ends."""
    from jupyter_core.utils import run_sync

    _clear_stale()
    folder = tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-")  # short: a socket path has at most 107 bytes
    km, failures = None, []
    try:
        for attempt, transport in enumerate(TRANSPORTS):
            km = _manager_class()(
                kernel_name="python3", transport=transport, connection_file=f"{folder}/k{attempt}.json"
            )
            try:
                run_sync(km.start_kernel)(extra_arguments=KERNEL_ARGS, cwd=str(cwd))
                _wait_ready(km, run_sync)
                break
            except Exception as exc:  # noqa: BLE001 - any failure to start is retried, then reported
                failures.append(f"{transport}: {type(exc).__name__}: {exc}".splitlines()[0])
                _stop(km, run_sync)
                km = None
        if km is None:
            raise UserError(
                what,
                f"the kernel did not start in {len(TRANSPORTS)} {'try' if len(TRANSPORTS) == 1 else 'tries'} ({'; '.join(failures)})",
                "a notebook needs a running kernel",
            )
        yield km
    finally:
        if km is not None:
            _stop(km, run_sync)
        shutil.rmtree(folder, ignore_errors=True)


def died(what: str, exc: Exception) -> UserError:
    """The one-line error for a kernel that died while it ran a notebook (out of memory, killed)."""
    return UserError(
        what, f"its kernel died while running ({exc})".splitlines()[0], "a notebook needs a running kernel"
    )


def run_notebook(km, what: str, notebook, out, parameters: dict, cwd: str | None = None) -> None:
    """Run ``notebook`` with papermill in the kernel ``km``, quietly, into ``out``: a kernel that dies is named in
    one line (:func:`died`), Ctrl-C inside the kernel stays Ctrl-C, and any other failing cell is raised as
    papermill's ``PapermillExecutionError`` for the caller to name."""
    import papermill as pm
    from nbclient.exceptions import DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    try:
        pm.execute_notebook(notebook, out, parameters=parameters, cwd=cwd, km=km, kernel_name="python3",
                            progress_bar=False, log_output=False, request_save_on_cell_execute=False)  # fmt: skip
    except DeadKernelError as exc:
        raise died(what, exc) from None
    except PapermillExecutionError as exc:
        if exc.ename == "KeyboardInterrupt":
            raise KeyboardInterrupt from None
        raise


def _wait_ready(km, run_sync) -> None:
    """Wait until the kernel answers on its channels; a kernel that died at start raises here."""
    kc = km.client()
    kc.start_channels()
    try:
        run_sync(kc.wait_for_ready)(timeout=READY_SECONDS)
    finally:
        kc.stop_channels()


def _stop(km, run_sync) -> None:
    """Shut the kernel down at once, whatever state it is in, and remove its connection files."""
    try:
        km.release_clients()
        if run_sync(km.is_alive)():
            run_sync(km.shutdown_kernel)(now=True)
    finally:
        run_sync(km.cleanup_resources)()


def _clear_stale() -> None:
    """Remove the socket folders of processes that ended without removing them (a build killed with SIGKILL)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{PREFIX}*-*"):
        pid = folder.name.removeprefix(PREFIX).split("-")[0]
        if not pid.isdigit() or not folder.is_dir() or folder.is_symlink():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except PermissionError:  # another user's live process
            pass
