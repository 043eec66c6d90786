"""Parameters are checked before anything runs, with one-line errors that name the rule."""

from __future__ import annotations

import subprocess
import sys

import papermill as pm
import pytest

from cscbook import contract, params
from cscbook.build import registry
from cscbook.errors import UserError


def test_unknown_parameter_lists_allowed_names():
    with pytest.raises(UserError) as exc:
        registry.resolve_all({"colour": "red"}, registry.chapters())
    line = exc.value.line()
    assert "'colour'" in line and "allowed names" in line and "highlight" in line and "\n" not in line


@pytest.mark.parametrize(
    "name,value,rule",
    [
        ("seed", "abc", "integer"),
        ("years", "2018", "2011-2018"),
        ("years", "2018-2011", "first before last"),
        ("region", "Nort East", "North East"),
        ("geography", "1999", "'2018'"),
    ],
)
def test_ill_typed_values_are_rejected(name, value, rule):
    with pytest.raises(UserError) as exc:
        params.resolve(params.DemandParams, {name: value}, where="demand")
    assert f"'{name}'" in exc.value.line() and rule in exc.value.line()


def test_highlight_must_be_in_the_data(england):
    with pytest.raises(UserError) as exc:
        contract.find_authority(england.panel, "Nowhere at all")
    assert "highlight" in exc.value.line()
    code = england.panel["la_code"].iloc[0]
    name = england.panel["la_name"].iloc[0]
    assert contract.find_authority(england.panel, name.upper()) == (code, name)


@pytest.mark.parametrize("ch", registry.chapters(), ids=lambda c: c.id)
def test_template_parameters_match_the_model(ch):
    """The notebook's parameters cell has exactly the model's names and defaults."""
    inferred = pm.inspect_notebook(str(ch.template))
    defaults = {k: v["default"] for k, v in inferred.items()}
    model = {n: f.default for n, f in ch.model.model_fields.items()}
    assert set(defaults) == set(model)
    for k, v in model.items():
        assert eval(defaults[k]) == v, k  # noqa: S307 - literals from our own template


@pytest.mark.slow  # the bad-input suite runs the same refusal (param-unknown) in make test
def test_cli_rejects_unknown_parameter_in_one_line(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "cscbook", "build", "--build-dir", str(tmp_path), "-p", "bogus", "1"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: parameter 'bogus'") and "allowed names" in lines[0]
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "html").exists()  # nothing ran
