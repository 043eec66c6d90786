"""A profile batch: papermill runs one driver per kernel, which makes each profile's notebook itself."""

from __future__ import annotations

import copy
import io

import nbformat
import numpy as np
import pytest

from cscbook.build import profile_batch
from cscbook.build import profile_run as profile_build
from cscbook.build.kernels import KERNEL_ARGS
from cscbook.build.registry import PROFILE_TEMPLATE
from cscbook.errors import UserError
from cscbook.profiles import core as profiles
from cscbook.profiles import figures as profile_figures


@pytest.fixture
def shell():
    """An IPython shell in this process, as a kernel has, removed afterwards. As in a kernel, a cell's
    result goes out on a channel of its own (here nowhere), not to the stdout the batch captures."""
    from IPython.core.interactiveshell import InteractiveShell

    sh = InteractiveShell.instance()
    sh.displayhook.write_output_prompt = lambda: None
    sh.displayhook.write_format_data = lambda *args, **kwargs: None
    yield sh
    InteractiveShell.clear_instance()


def _notebook(*sources: str):
    nb = nbformat.v4.new_notebook(
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    )
    nb.cells = [nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]})]
    nb.cells += [nbformat.v4.new_code_cell(s, metadata={"tags": []}) for s in sources]
    nb.metadata["papermill"] = {"parameters": {}}
    return nb


def test_cells_run_in_the_shell_with_their_outputs_kept(shell):
    from IPython.display import HTML, display

    shell.user_ns["display"], shell.user_ns["HTML"] = display, HTML
    nb = _notebook("print('hello', x)", "display(HTML('<b>b</b>'), metadata={'k': 1})", "x * 2")
    nb, error = profile_batch.execute(nb, {"x": 21}, "in.ipynb", "out.ipynb")
    assert error is None
    injected = nb.cells[1]
    assert injected.metadata.tags == ["injected-parameters"] and "x = 21" in injected.source
    printed, shown, result = (c.outputs for c in nb.cells[2:])
    assert printed[0].output_type == "stream" and printed[0].text == "hello 21\n"
    assert shown[0].output_type == "display_data" and shown[0].data["text/html"] == "<b>b</b>"
    assert shown[0].metadata == {"k": 1}
    assert result[0].output_type == "execute_result" and result[0].data["text/plain"] == "42"
    assert [c.execution_count for c in nb.cells] == [1, 2, 3, 4, 5]
    assert nb.metadata.papermill["parameters"] == {"x": 21} and nb.metadata.papermill["exception"] is False
    nbformat.validate(nb)


def test_the_first_failing_cell_is_reported_and_the_rest_not_run(shell):
    nb = _notebook("y = 1", "1 / 0", "y = 2")
    nb, error = profile_batch.execute(nb, {}, "in.ipynb", "out.ipynb")
    assert error == {"cell": 4, "ename": "ZeroDivisionError", "evalue": "division by zero"}
    assert nb.cells[3].outputs[-1].output_type == "error" and nb.cells[4].outputs == []
    assert shell.user_ns["y"] == 1 and nb.metadata.papermill["exception"] is True
    nbformat.validate(nb)


def test_ctrl_c_in_a_cell_stops_the_batch(shell):
    with pytest.raises(KeyboardInterrupt):
        profile_batch.execute(_notebook("raise KeyboardInterrupt"), {}, "in.ipynb", "out.ipynb")


def _image(fig) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(fig.png)).convert("RGB")).astype(int)


@pytest.mark.parametrize("draw", ["series", "ranks", "spending", "positions"])
def test_a_chart_drawn_over_its_kept_background_is_the_chart_drawn_whole(england, panel_dir, draw, monkeypatch):
    """Three authorities in turn on the kept canvas; the last image against its figure drawn whole."""
    used = []
    render_over = profile_figures.Canvas.render_over

    def recording(self, *args, **kwargs):
        used.append(self)
        return render_over(self, *args, **kwargs)

    monkeypatch.setattr(profile_figures.Canvas, "render_over", recording)
    for code in sorted(england.panel["la_code"].unique())[:3]:
        fig = getattr(profile_figures, draw)(profiles.Profile(str(panel_dir), code, "2011-2018"))
    mpl = used[-1].fig
    try:
        for artist in mpl.findobj():
            artist.set_animated(False)
        mpl.canvas.draw()
        whole = np.asarray(mpl.canvas.buffer_rgba())[..., :3].astype(int)
    finally:
        kept = getattr(profile_figures, f"_{draw}_canvas_for", None) or getattr(profile_figures, f"_{draw}_canvas")
        kept.cache_clear()  # the next draw makes a canvas of its own
    drawn = _image(fig)
    assert drawn.shape == whole.shape
    differ = (np.abs(drawn - whole).sum(axis=2) > 60).mean()
    assert differ < 0.005, f"{differ:.2%} of pixels differ"


def _outputs(nb) -> list:
    return [(o.output_type, o.get("data"), o.get("metadata")) for c in nb.cells for o in c.get("outputs", [])]


@pytest.mark.slow  # two kernels
def test_a_batch_writes_the_notebook_papermill_would(england, panel_dir, tmp_path):
    import papermill as pm

    code = sorted(england.panel["la_code"].unique())[1]
    name = england.panel.loc[england.panel["la_code"] == code, "la_name"].iloc[0]
    (tmp_path / "batch").mkdir()
    (tmp_path / "pm").mkdir()
    profile_build.run_profiles([(code, name)], panel_dir, "2011-2018", tmp_path / "batch", "all")
    template = profile_batch.fill_template(nbformat.read(PROFILE_TEMPLATE, as_version=4), code, name)
    parameters = {"la_code": code, "panel_dir": str(panel_dir.resolve()), "years": "2011-2018"}
    parameters |= {"out_dir": str(tmp_path / "batch"), "profile_links": "all"}  # the same out_dir: the same cell
    pm.execute_notebook(
        copy.deepcopy(template), str(tmp_path / "pm" / "nb.ipynb"), parameters=parameters,
        kernel_name="python3", progress_bar=False, cwd=str(tmp_path / "pm"), extra_arguments=KERNEL_ARGS,
    )  # fmt: skip
    batch = nbformat.read(tmp_path / "batch" / f"{code}.ipynb", as_version=4)
    paper = nbformat.read(tmp_path / "pm" / "nb.ipynb", as_version=4)
    assert [(c.cell_type, c.source, c.metadata.get("tags")) for c in batch.cells] == [
        (c.cell_type, c.source, c.metadata.get("tags")) for c in paper.cells
    ]
    assert len(_outputs(batch)) > 10 and _outputs(batch) == _outputs(paper)


@pytest.mark.slow  # a kernel
def test_a_failing_profile_is_named_and_the_profiles_before_it_kept(england, panel_dir, tmp_path):
    code = sorted(england.panel["la_code"].unique())[0]
    out = tmp_path / "profiles"
    out.mkdir()
    with pytest.raises(UserError) as err:
        profile_build.run_profiles([(code, "First"), ("X99999999", "Nowhere")], panel_dir, "2011-2018", out, "all")
    message = str(err.value)
    assert "for X99999999 (Nowhere)" in message and "cell 3 raised" in message and "\n" not in message
    assert (out / f"{code}.ipynb").exists() and not (out / "X99999999.ipynb").exists()
    failed = nbformat.read(tmp_path / "profile-X99999999.failed.ipynb", as_version=4)
    assert failed.cells[3].outputs[-1].output_type == "error"
