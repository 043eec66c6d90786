"""Authority profiles in the build: which authorities, in how many batches, each batch run in one kernel.

The kernel side of a profile (its tables, prose and figures) is :mod:`cscbook.profiles.core`.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from cscbook import contract
from cscbook.build.kernels import kernel, run_notebook
from cscbook.build.registry import PROFILE_TEMPLATE, ROOT
from cscbook.errors import UserError

#: A kernel's start and imports cost about as much as this many profiles, so fewer authorities take fewer batches.
PROFILES_PER_BATCH = 12


def profile_keys(value: str) -> list[str] | str:
    """The ``--profiles`` option read before any work: 'all', 'none', or the codes and names it lists (an empty
    option, or an empty item between commas, is refused in one line)."""
    text = value.strip() if isinstance(value, str) else ""
    if text in ("all", "none"):
        return text
    keys = [k.strip() for k in text.split(",")]
    if not text or "" in keys:
        raise UserError(
            "option --profiles",
            f"{value!r} has an empty item" if text else f"{value!r} names no authority",
            "use all, none or authority codes/names separated by commas",
        )
    return keys


def profile_selection(value: str, ids) -> list[str]:
    """The authorities to profile: 'all', 'none', or codes and names separated by commas."""
    keys = profile_keys(value)
    if keys == "all":
        return sorted(ids["la_code"].unique())
    if keys == "none":
        return []
    codes = []
    for key in keys:
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


def run_profiles(
    items: list[tuple[str, str]],
    panel_dir: Path,
    years: str,
    out_dir: Path,
    links: str = "",
    options: dict | None = None,
) -> float:
    """Worker-process entry: make the profile of each (code, name) in one kernel; return the seconds.

    ``links``: the profile pages a profile may link to (its neighbours'), see :func:`profile_links`;
    ``options``: the profiles' parameters (:class:`cscbook.params.ProfileParams`).

    Starting a kernel and importing the scientific stack costs more than a profile itself, so a
    batch keeps one kernel for all its authorities, and papermill runs one driver notebook in it that
    makes every profile of the batch (:mod:`cscbook.build.profile_batch`); the data every profile
    needs is loaded once per kernel (``profiles.shared``).
    """
    from papermill.exceptions import PapermillExecutionError

    from cscbook.build import profile_batch

    started = time.perf_counter()
    out_dir, panel_dir = Path(out_dir).resolve(), Path(panel_dir).resolve()  # the kernel has its own cwd
    template = str(PROFILE_TEMPLATE.relative_to(ROOT))
    first = f"{items[0][0]} ({items[0][1]})" if items else ""
    shared = {"panel_dir": str(panel_dir), "years": years, "out_dir": str(out_dir), "profile_links": links}
    what = f"{template} for the batch from {first}"
    with kernel(out_dir, what) as km:
        try:
            run_notebook(km, what, profile_batch.driver_notebook(), None, {
                "items": [list(i) for i in items],
                "template": str(PROFILE_TEMPLATE),
                "parameters": {**shared, **(options or {})},
                "out_dir": str(out_dir),
                "failed_dir": str(out_dir.parent),
            })  # fmt: skip
        except PapermillExecutionError as exc:
            raise batch_error(exc, template, first) from None
        finally:
            km.release_clients()
    return time.perf_counter() - started


def batch_error(exc, template: str, first: str) -> UserError:
    """The one-line error for a batch whose driver raised: the profile that failed, its cell and error."""
    from cscbook.build.profile_batch import FAILED

    if exc.ename == "RuntimeError" and exc.evalue.startswith(FAILED):
        d = json.loads(exc.evalue.removeprefix(FAILED))
        return UserError(
            f"{template} for {d['code']} ({d['name']})",
            f"cell {d['cell']} raised {d['ename']}: {d['evalue']}; executed copy kept at {d['failed']}",
            "a profile must run without errors",
        )
    return UserError(
        f"{template} for the batch from {first}",
        f"its driver raised {exc.ename}: {exc.evalue}",
        "a profile must run without errors",
    )


def profile_batches(codes: list[str], names: dict[str, str], n: int) -> list[list[tuple[str, str]]]:
    """Split the authorities into at most ``n`` batches (the build's workers: one kernel start per
    worker is all the profiles pay) of near-equal size (round robin keeps them
    balanced), and no more batches than there are PROFILES_PER_BATCH authorities to share a kernel."""
    n = max(1, min(n, -(-len(codes) // PROFILES_PER_BATCH)))
    batches = [[(c, names[c]) for c in codes[i::n]] for i in range(n)]
    return [b for b in batches if b]
