"""Build kernels: on Unix sockets, retried when a start fails (a TCP port taken by another process),
named when every try fails, and their clients closed after each notebook (no descriptor leak)."""

from __future__ import annotations

import os
import socket

import nbformat
import papermill as pm
import pytest

from cscbook.build import kernels
from cscbook.errors import UserError


def _taking(port: int):
    """A manager class whose TCP kernels are told to bind ``port`` (taken by the test)."""
    base = kernels._manager_class()

    class Taken(base):
        def __init__(self, **kw):
            super().__init__(**kw)
            if self.transport == "tcp":
                self.cache_ports, self.shell_port = False, port  # cached ports would replace it

    return lambda: Taken


@pytest.fixture
def taken_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


def test_a_kernel_runs_on_unix_sockets_and_leaves_nothing(tmp_path):
    with kernels.kernel(tmp_path, "chapter t") as km:
        assert km.transport == "ipc"
        folder = os.path.dirname(km.connection_file)
        assert os.path.exists(f"{km.ip}-{km.shell_port}")  # the shell socket is a file, not a port
        pid = km.provisioner.process.pid
    assert not os.path.exists(folder)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


@pytest.mark.slow  # seconds of work: with the slow checks, to keep make test within two minutes
def test_a_taken_port_is_retried_on_a_new_transport(tmp_path, monkeypatch, taken_port):
    monkeypatch.setattr(kernels, "TRANSPORTS", ("tcp", "ipc"))
    monkeypatch.setattr(kernels, "_manager_class", _taking(taken_port))
    with kernels.kernel(tmp_path, "chapter t") as km:
        assert km.transport == "ipc"


@pytest.mark.slow
def test_a_kernel_that_never_starts_names_what_it_was_for(tmp_path, monkeypatch, taken_port):
    monkeypatch.setattr(kernels, "TRANSPORTS", ("tcp", "tcp"))
    monkeypatch.setattr(kernels, "_manager_class", _taking(taken_port))
    with pytest.raises(UserError) as err:
        with kernels.kernel(tmp_path, "chapter demand (book/demand.ipynb)"):
            pass
    line = str(err.value)
    assert line.startswith("error: chapter demand (book/demand.ipynb): the kernel did not start in 2 tries")
    assert "\n" not in line and line.endswith("(a notebook needs a running kernel)")


@pytest.mark.slow  # seconds of work: with the slow checks, to keep make test within two minutes
def test_notebooks_run_in_one_kernel_release_their_descriptors(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    path = tmp_path / "n.ipynb"
    nbformat.write(nb, path)

    def run(km):
        pm.execute_notebook(str(path), str(tmp_path / "o.ipynb"), km=km, kernel_name="python3", progress_bar=False)
        km.release_clients()
        return len(os.listdir("/proc/self/fd"))

    with kernels.kernel(tmp_path, "profiles") as km:
        first = run(km)
        for _ in range(8):
            last = run(km)
    assert last <= first + 2, (first, last)  # without release_clients each run keeps about 10 more


def test_socket_folders_of_ended_processes_are_cleared(tmp_path):
    import subprocess
    import tempfile

    done = subprocess.Popen(["true"])
    done.wait()  # its pid is now free
    stale = os.path.join(tempfile.gettempdir(), f"{kernels.PREFIX}{done.pid}-abc")
    live = os.path.join(tempfile.gettempdir(), f"{kernels.PREFIX}{os.getpid()}-abc")
    os.makedirs(stale, exist_ok=True)
    os.makedirs(live, exist_ok=True)
    kernels._clear_stale()
    assert not os.path.exists(stale) and os.path.exists(live)
    os.rmdir(live)
