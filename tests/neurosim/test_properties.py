"""Property-based tests (hypothesis) over the design model and the file readers, on a bounded budget.

Properties: any mutation of the default design is either accepted (and then round-trips through
TOML and builds its probe) or refused with a `DesignError` that names the field; any damaged or
foreign file given to a reader gives a clear error naming the file, never a stray KeyError or
TypeError.
"""

import copy
import math

import h5py
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neurosim.design import Design, DesignError, load_design

BUDGET = settings(max_examples=150, deadline=None, derandomize=True,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

_DEFAULT = load_design(None).model_dump(mode="json")


def _leaves(d, prefix=()):
    for k, v in d.items():
        if isinstance(v, dict) and v:
            yield from _leaves(v, (*prefix, k))
        else:
            yield (*prefix, k)


LEAVES = sorted(_leaves(_DEFAULT))
LAYOUT_PARAMS = ("rows", "cols", "num_channels", "pitch_um", "drop_corners", "tip_depth_um", "bogus")

values = st.one_of(
    st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-1e4, 1e4), st.booleans(), st.text(max_size=12), st.none(),
    st.lists(st.floats(-100, 100), max_size=4), st.sampled_from(["utah", "neuropixels1", "TiN", "none"]))


def _set(d, path, value):
    node = d
    for k in path[:-1]:
        node = node.setdefault(k, {})
        if not isinstance(node, dict):
            return
    node[path[-1]] = value


@BUDGET
@given(st.lists(st.tuples(st.sampled_from(LEAVES), values), min_size=1, max_size=3),
       st.dictionaries(st.sampled_from(LAYOUT_PARAMS), values, max_size=2))
def test_any_mutated_design_is_accepted_whole_or_refused_by_field(changes, layout_params):
    data = copy.deepcopy(_DEFAULT)
    for path, value in changes:
        _set(data, path, value)
    if layout_params:
        data["implant"]["layout_params"] = layout_params
    try:
        design = Design.from_dict(data)
    except DesignError as exc:
        text = str(exc)
        # the message names a field of the design (a dotted path or a section name)
        assert any(part in text for path, _ in changes for part in path) or "layout" in text, text
        return
    # accepted: it survives a TOML round trip and its probe can be built
    again = Design.from_dict(__import__("tomllib").loads(design.to_toml()))
    assert again.model_dump(mode="json") == design.model_dump(mode="json")
    from neurosim.electrodes import build_probe

    setup = build_probe(design)
    assert setup.positions_um.shape[0] >= 1 and np.all(np.isfinite(setup.positions_um))


def _readers():
    from neurosim.io import read_result, validate_file

    return {"read_result": read_result, "validate_file": validate_file}


@pytest.fixture(scope="module")
def good_file(tiny_design, tmp_path_factory):
    import neurosim.pipeline as pipeline

    path = tmp_path_factory.mktemp("good") / "good.h5"
    pipeline.run(tiny_design, path, progress=False)
    return path


@BUDGET
@given(data=st.data())
def test_damaged_files_give_clear_errors(good_file, tmp_path_factory, data):
    """Truncated, overwritten, foreign or pruned files: readers name the file and what is wrong."""
    path = tmp_path_factory.mktemp("bad") / "bad.h5"
    raw = good_file.read_bytes()
    kind = data.draw(st.sampled_from(["truncate", "garble", "foreign", "drop", "empty"]))
    if kind == "truncate":
        path.write_bytes(raw[: data.draw(st.integers(0, len(raw) - 1))])
    elif kind == "garble":
        at = data.draw(st.integers(0, len(raw) - 64))
        path.write_bytes(raw[:at] + bytes(data.draw(st.binary(min_size=64, max_size=64))) + raw[at + 64:])
    elif kind == "foreign":
        with h5py.File(path, "w") as f:
            f["x"] = np.arange(3)
    elif kind == "empty":
        path.write_bytes(b"")
    else:
        path.write_bytes(raw)
        with h5py.File(path, "a") as f:
            names = []
            f.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
            del f[data.draw(st.sampled_from(sorted(names)))]
    name = data.draw(st.sampled_from(sorted(_readers())))
    reader = _readers()[name]
    try:
        out = reader(path)
    except (OSError, ValueError) as exc:
        assert "bad.h5" in str(exc) or "neurosim file" in str(exc), f"{name}: {exc!r}"
        return
    # a reader that succeeds on a damaged file must say what is missing (validate_file) or
    # return what it read (read_result on a file whose damage it does not need)
    if name == "validate_file":
        assert isinstance(out, list)
        if kind in ("drop", "foreign"):
            assert out, "a file with a dataset removed must not validate"
    else:
        assert isinstance(out, dict)


@BUDGET
@given(st.floats(allow_nan=True, allow_infinity=True) | st.integers(-10**9, 10**9) | st.text(max_size=8))
def test_cli_values_parse_or_refuse_clearly(value):
    """``--set FIELD=VALUE`` with any value: a Design or a DesignError naming the field."""
    from neurosim.cli import parse_set

    text = value if isinstance(value, str) else repr(value) if not isinstance(value, float) or \
        math.isfinite(value) else str(value)
    try:
        changes = parse_set([f"chip.adc.bits={text}"])
        load_design(None).replace(**changes)
    except DesignError as exc:
        assert "chip.adc.bits" in str(exc) or "bits" in str(exc)
