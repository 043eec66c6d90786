"""Execution of the chapter notebooks with papermill, in worker processes.

Workers (and their kernels) live in their own session, so Ctrl-C reaches only the main process,
which then ends them (:func:`stop_workers`) and clears their unfinished folders.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from cscbook import params
from cscbook.build.cache import cache_key, is_cached
from cscbook.build.kernels import kernel, run_notebook
from cscbook.build.registry import ROOT, Chapter
from cscbook.errors import UserError
from cscbook.fsutil import atomic_dir, clear_unfinished
from cscbook.procs import die_with_parent


def execute(
    ch: Chapter,
    p: params.ChapterParams,
    panel_dir: Path,
    build_dir: Path,
    force: bool = False,
    key: str | None = None,
    links: str = "",
    folders: dict[str, Path] | None = None,
) -> bool:
    """Execute one chapter into ``executed/<id>/``; return False if the cached result was reused.

    ``links``: the profile pages the chapter may link to ('all', codes separated by commas, or '' for
    none), passed to the notebook as its ``profile_links`` parameter. ``folders``: the other footprints'
    prepared data (internal parameter name, ``later_dir`` or ``nao_dir``, -> folder), passed as those parameters.

    The chapter runs in a fresh folder that replaces the old one only on success, so a failure
    leaves the last good execution in place; the failed notebook is kept as ``<id>.failed.ipynb``
    for inspection.
    """
    from papermill.exceptions import PapermillExecutionError

    target = build_dir / "executed" / ch.id
    key = key or cache_key(ch, p, panel_dir, links, folders)
    if not force and is_cached(ch, key, build_dir):
        return False
    values = p.model_dump()
    values["panel_dir"] = str(panel_dir.resolve())
    values["profile_links"] = links
    for name, folder in (folders or {}).items():
        values[name] = str(folder.resolve())
    started = time.perf_counter()
    what = f"chapter {ch.id} ({ch.template.relative_to(ROOT)})"
    with atomic_dir(target) as tmp, kernel(tmp, what) as km:
        out_nb = tmp / f"{ch.id}.ipynb"
        try:
            run_notebook(km, what, str(ch.template), str(out_nb), values, cwd=str(tmp))
        except PapermillExecutionError as exc:
            failed = build_dir / "executed" / f"{ch.id}.failed.ipynb"
            if out_nb.exists():
                shutil.copyfile(out_nb, failed)
            user = _user_error_in(exc)
            if user:
                raise UserError(*user) from None
            raise UserError(
                f"{ch.template.relative_to(ROOT)}",
                f"cell {exc.exec_count} raised {exc.ename}: {exc.evalue}; executed copy kept at {failed}",
                "a chapter notebook must run without errors",
            ) from None
        keep_cells_for(out_nb, synthetic=p.data == "synthetic")
        seconds = round(time.perf_counter() - started, 2)
        (tmp / "cache.json").write_text(
            json.dumps({"key": key, "params": p.model_dump(exclude=params.INTERNAL), "seconds": seconds})
        )
    return True


#: Cell tags for text that speaks of one kind of data only: a section with nothing to say on the other kind is left
#: out of the executed notebook (a synthetic England's known truth, say, on the official statistics).
ONLY = {"only-synthetic": True, "only-official": False}


def keep_cells_for(notebook: Path, synthetic: bool) -> None:
    """Drop from an executed ``notebook`` the cells tagged for the other kind of data (see :data:`ONLY`)."""
    nb = json.loads(notebook.read_text())
    keep = [
        c for c in nb["cells"] if all(ONLY[t] == synthetic for t in c.get("metadata", {}).get("tags", []) if t in ONLY)
    ]
    if len(keep) < len(nb["cells"]):
        nb["cells"] = keep
        notebook.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")


def worker_init() -> None:
    """Detach a worker from the terminal's signals (the main process stops it on Ctrl-C), and tie it to the
    main process: when that ends, however it ends (SIGKILL included), the worker ends its process group,
    its kernels with it."""
    import signal

    os.setsid()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # forked with SIGINT blocked (see ``forking_quietly``): a Ctrl-C that arrived meanwhile is now discarded
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    signal.signal(signal.SIGTERM, _end_group)
    die_with_parent(signal.SIGTERM)


@contextlib.contextmanager
def forking_quietly():
    """Hold back Ctrl-C while worker processes are forked: a child forked in the moment before
    ``worker_init`` detaches it would otherwise take the SIGINT with the main process's handler and print
    a traceback. Blocked, the signal waits: the main process receives it on leaving, the children discard it."""
    import signal

    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _end_group(signum, frame) -> None:
    """SIGTERM in a worker: kill its whole process group (itself and the kernels it started) at once."""
    import signal

    os.killpg(0, signal.SIGKILL)


def stop_workers(pool: ProcessPoolExecutor, build_dir: Path) -> None:
    """End the workers and their kernels, and remove the folders of chapters they left unfinished."""
    import signal

    for pid in list(getattr(pool, "_processes", {}) or {}):
        try:
            os.killpg(pid, signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            pass
    pool.shutdown(wait=False, cancel_futures=True)
    time.sleep(0.2)
    clear_unfinished(build_dir)


def run_chapter(ch, p, panel_dir, build_dir, force, key, links, folders=None) -> tuple[bool, float]:
    """Worker-process entry: execute one chapter and time it."""
    s = time.perf_counter()
    ran = execute(ch, p, panel_dir, build_dir, force=force, key=key, links=links, folders=folders)
    return ran, time.perf_counter() - s


def _user_error_in(exc) -> tuple[str, str, str] | None:
    """A UserError raised inside the notebook comes back as its three parts."""
    if exc.ename != "UserError":
        return None
    text = str(exc.evalue).removeprefix("error: ")
    where, _, rest = text.partition(": ")
    what, _, rule = rest.rpartition(" (")
    return where, what, rule.rstrip(")")
