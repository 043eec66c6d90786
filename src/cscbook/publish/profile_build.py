"""Authority profiles in the build: which authorities, in how many batches, each batch run in one kernel.

The kernel side of a profile (its tables, prose and figures) is :mod:`cscbook.publish.profiles`.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from cscbook import contract
from cscbook.errors import UserError
from cscbook.publish.kernels import died, kernel
from cscbook.publish.profiles import md_escape
from cscbook.publish.registry import PROFILE_TEMPLATE, ROOT

#: Profiles run in at most this many batches; each batch pays one kernel start for all its authorities.
PROFILE_BATCHES = 4
#: A kernel's start and imports cost about as much as this many profiles, so fewer authorities take fewer batches.
PROFILES_PER_BATCH = 12


def profile_selection(value: str, ids) -> list[str]:
    """The authorities to profile: 'all', 'none', or codes and names separated by commas."""
    value = (value or "all").strip()
    if value == "all":
        return sorted(ids["la_code"].unique())
    if value == "none":
        return []
    codes = []
    for key in (k.strip() for k in value.split(",")):
        try:
            code, _ = contract.find_authority(ids, key)
        except UserError:
            raise UserError(
                "option --profiles",
                f"{key!r} is not an authority in the data",
                "use all, none or authority codes/names",
            ) from None
        codes.append(code)
    return sorted(set(codes))


def profile_links(codes: list[str], ids) -> str:
    """The profile pages this build makes, as the notebooks take them: 'all' or the chosen codes."""
    return "all" if set(codes) == set(ids["la_code"]) else ",".join(codes)


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


def run_profiles(
    items: list[tuple[str, str]],
    panel_dir: Path,
    years: str,
    out_dir: Path,
    links: str = "",
    options: dict | None = None,
) -> float:
    """Worker-process entry: execute the profile template for each (code, name) in one kernel.

    ``links``: the profile pages a profile may link to (its neighbours'), see :func:`profile_links`;
    ``options``: the profiles' parameters (:class:`cscbook.params.ProfileParams`).

    Starting a kernel and importing the scientific stack costs more than a profile itself, so a
    batch keeps one kernel for all its authorities; the data every profile needs is loaded once
    per kernel (``profiles.shared``).
    """
    import copy

    import nbformat
    import papermill as pm
    from nbclient.exceptions import DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    started = time.perf_counter()
    out_dir, panel_dir = Path(out_dir).resolve(), Path(panel_dir).resolve()  # the kernel has its own cwd
    template = nbformat.read(PROFILE_TEMPLATE, as_version=4)
    first = f"{items[0][0]} ({items[0][1]})" if items else ""
    with kernel(out_dir, f"{PROFILE_TEMPLATE.relative_to(ROOT)} for the batch from {first}") as km:
        for code, name in items:
            out_nb = out_dir / f"{code}.ipynb"
            try:
                pm.execute_notebook(
                    fill_template(copy.deepcopy(template), code, name),
                    str(out_nb),
                    parameters={
                        "la_code": code,
                        "panel_dir": str(panel_dir),
                        "years": years,
                        "out_dir": str(out_dir),
                        "profile_links": links,
                        **(options or {}),
                    },
                    km=km,
                    kernel_name="python3",
                    progress_bar=False,
                    log_output=False,
                    request_save_on_cell_execute=False,
                )
            except DeadKernelError as exc:
                raise died(f"{PROFILE_TEMPLATE.relative_to(ROOT)} for {code} ({name})", exc) from None
            except PapermillExecutionError as exc:
                if exc.ename == "KeyboardInterrupt":
                    raise KeyboardInterrupt from None
                failed = out_dir.parent / f"profile-{code}.failed.ipynb"
                if out_nb.exists():
                    shutil.copyfile(out_nb, failed)
                raise UserError(
                    f"{PROFILE_TEMPLATE.relative_to(ROOT)} for {code} ({name})",
                    f"cell {exc.exec_count} raised {exc.ename}: {exc.evalue}; executed copy kept at {failed}",
                    "a profile must run without errors",
                ) from None
            finally:
                km.release_clients()
    return time.perf_counter() - started


def profile_batches(codes: list[str], names: dict[str, str], n: int) -> list[list[tuple[str, str]]]:
    """Split the authorities into at most ``n`` batches of near-equal size (round robin keeps them
    balanced), and no more batches than there are PROFILES_PER_BATCH authorities to share a kernel."""
    n = max(1, min(n, -(-len(codes) // PROFILES_PER_BATCH)))
    batches = [[(c, names[c]) for c in codes[i::n]] for i in range(n)]
    return [b for b in batches if b]
