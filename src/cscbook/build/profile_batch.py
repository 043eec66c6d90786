"""The kernel side of a profile batch: every authority's profile made in this one kernel.

papermill runs one small driver notebook per batch (:data:`DRIVER`); its cell calls :func:`run`, which
for each authority puts papermill's parameter cell into the template (``parameterize_notebook``), runs
the template's code cells in this kernel as nbclient would (the same shell, display formatters and
inline figures), and writes the executed notebook with the outputs it captured. A profile so costs its
own code and one file write, not a round of kernel messages and notebook saves per cell; the notebook
it writes is the one papermill would have written (the tests compare the two).
"""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path

from cscbook.present.markdown import md_escape

#: The driver notebook's code: papermill puts the batch's parameters in a cell above it.
DRIVER = """\
from cscbook.build import profile_batch

profile_batch.run(items, template, parameters, out_dir, failed_dir)
"""
#: The driver's parameter cell (papermill's defaults; each batch injects its own).
DRIVER_PARAMETERS = """\
items = []  # [code, name] of each authority in the batch
template = ""  # the profile template notebook
parameters = {}  # the template's parameters shared by the batch (all but la_code)
out_dir = ""
failed_dir = ""
"""
#: What a failed profile reports, as the driver cell's error value: a JSON object after this prefix.
FAILED = "profile failed: "


def fill_template(nb, code: str, name: str):
    """Put the authority's name and code into the template's markdown (title, download link)."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for placeholder, value in (
                ("{{la_name}}", md_escape(name)),
                ("{{la_code}}", code),
                ("{{key}}", code.lower()),
            ):
                cell.source = cell.source.replace(placeholder, value)
    return nb


def driver_notebook():
    """The notebook papermill runs once per batch."""
    import nbformat

    params = nbformat.v4.new_code_cell(DRIVER_PARAMETERS, metadata={"tags": ["parameters"]})
    return nbformat.v4.new_notebook(
        cells=[params, nbformat.v4.new_code_cell(DRIVER)],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )


def run(items: list, template: str, parameters: dict, out_dir: str, failed_dir: str) -> None:
    """Make and write ``<code>.ipynb`` in ``out_dir`` for each [code, name]; on the first profile that
    fails, keep its executed copy in ``failed_dir`` and raise an error naming it (see :data:`FAILED`)."""
    import nbformat
    from papermill.iorw import load_notebook_node

    base = load_notebook_node(template)
    for code, name in items:
        nb = fill_template(copy.deepcopy(base), code, name)
        out = Path(out_dir) / f"{code}.ipynb"
        nb, error = execute(nb, {"la_code": code, **parameters}, template, str(out))
        if error is not None:
            failed = Path(failed_dir) / f"profile-{code}.failed.ipynb"
            nbformat.write(nb, failed)
            detail = {"code": code, "name": name, "failed": str(failed), **error}
            raise RuntimeError(FAILED + json.dumps(detail))
        nbformat.write(nb, out)


def execute(nb, parameters: dict, input_path: str, output_path: str):
    """Parameterise ``nb`` (read by papermill's ``load_notebook_node``) as papermill does and run its code cells in this kernel, each cell's outputs
    kept as nbclient keeps them; return the notebook and None, or the notebook so far and the error
    ({cell, ename, evalue}) of the first cell that raised. Ctrl-C is raised, not reported."""
    from IPython import get_ipython
    from papermill.execute import prepare_notebook_metadata
    from papermill.parameterize import parameterize_notebook

    nb = prepare_notebook_metadata(parameterize_notebook(nb, parameters), input_path, output_path)
    shell, count, began = get_ipython(), 0, time.perf_counter()
    error = None
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        count += 1
        started = time.perf_counter()
        cell.execution_count, cell.outputs, err = count, *run_cell(shell, cell.source, count)
        status = "completed" if err is None else "failed"
        cell.metadata.papermill = {"duration": time.perf_counter() - started, "status": status}
        if err is not None:
            if isinstance(err, KeyboardInterrupt):
                raise KeyboardInterrupt
            cell.outputs.append(error_output(err))
            error = {"cell": count, "ename": type(err).__name__, "evalue": str(err)}
            break
    nb.metadata.papermill.update(duration=time.perf_counter() - began, exception=error is not None)
    return nb, error


def run_cell(shell, source: str, count: int) -> tuple[list, BaseException | None]:
    """One cell's outputs (streams, displays, its result) and the exception it raised, if any."""
    import nbformat
    from IPython.utils.capture import capture_output

    shell.showtraceback = _no_traceback  # an error is the profile's output (below), not the driver cell's
    try:
        with capture_output(display=True) as cap:
            result = shell.run_cell(source, store_history=False)
    finally:
        del shell.showtraceback
    outputs = [
        nbformat.v4.new_output("stream", name=name, text=text)
        for name, text in (("stdout", cap.stdout), ("stderr", cap.stderr))
        if text
    ]
    outputs += [nbformat.v4.new_output("display_data", data=o.data, metadata=o.metadata or {}) for o in cap.outputs]
    if result.result is not None:
        data, metadata = shell.display_formatter.format(result.result)
        outputs.append(nbformat.v4.new_output("execute_result", data=data, metadata=metadata, execution_count=count))
    return outputs, result.error_before_exec or result.error_in_exec


def _no_traceback(*args, **kwargs) -> None:
    """The shell's traceback display, off: in a kernel it would send the error as the driver's own."""


def error_output(err: BaseException):
    """The error output nbclient records for an exception."""
    import traceback

    import nbformat

    lines = traceback.format_exception(type(err), err, err.__traceback__)
    return nbformat.v4.new_output("error", ename=type(err).__name__, evalue=str(err), traceback=lines)
