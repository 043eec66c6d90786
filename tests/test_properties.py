"""Properties that hold for any input: the shift-share split adds up, Shapley shares sum to one,
and indices start at 100."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cscbook.analyse import measures
from cscbook.shares import shapley_shares

positive = st.floats(min_value=1.0, max_value=1e7, allow_nan=False)


@given(c0=positive, c1=positive, p0=positive, p1=positive)
def test_population_and_rate_effects_add_up_to_the_change(c0, c1, p0, p1):
    counts = pd.Series({2011: c0, 2018: c1})
    pop = pd.Series({2011: p0, 2018: p1})
    split = measures.population_rate_split(counts, pop, 2011, 2018)
    scale = abs(split["population"]) + abs(split["rate"]) + c0 + c1  # exact up to floating-point rounding
    assert split["population"] + split["rate"] == pytest.approx(split["change"], abs=1e-12 * scale)


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(8, 60), k=st.integers(2, 5))
def test_shapley_shares_sum_to_one_and_match_cov_rule(seed, n, k):
    rng = np.random.default_rng(seed)
    mix = rng.normal(size=(k, k))
    parts = {f"p{i}": v for i, v in enumerate(mix @ rng.normal(size=(k, n)))}
    shares = shapley_shares(parts)
    assert sum(shares.values()) == pytest.approx(1.0)
    total = sum(parts.values())
    for name, x in parts.items():
        assert shares[name] == pytest.approx(np.cov(x, total, bias=True)[0, 1] / np.var(total))


@given(st.lists(st.floats(min_value=0.1, max_value=1e6), min_size=2, max_size=10))
def test_index_starts_at_100(values):
    table = pd.DataFrame({"x": values}, index=range(2011, 2011 + len(values)))
    idx = measures.indexed(table, 2011)
    assert idx.loc[2011, "x"] == pytest.approx(100.0)
    assert (idx["x"] > 0).all()
