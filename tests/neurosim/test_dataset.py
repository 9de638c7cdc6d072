"""Dataset generation: per-session seeds and draws, index, resume after interruption."""

import csv
import json

import pytest

from neurosim.cli import main
from neurosim.dataset import generate_dataset, session_designs
from neurosim.design import DesignError, design_to_toml


def test_session_designs_are_reproducible_and_distinct(tiny_design):
    a = session_designs(tiny_design, 4, {"chip.front_end.noise_uV_rms": [2.0, 6.0]})
    b = session_designs(tiny_design, 4, {"chip.front_end.noise_uV_rms": [2.0, 6.0]})
    assert [d.seed for _, _, d in a] == [d.seed for _, _, d in b]
    assert len({d.seed for _, _, d in a}) == 4
    assert all(d.chip.front_end.noise_uV_rms == drawn["chip.front_end.noise_uV_rms"] for _, drawn, d in a)
    with pytest.raises(DesignError, match=r"num_sessions must be in \[1, 100000\], got 0"):
        session_designs(tiny_design, 0)


def test_generate_index_and_resume(tiny_design, tmp_path):
    res = generate_dataset(tiny_design, 2, tmp_path, progress=False)
    rows = list(csv.DictReader(open(res.index_path)))
    assert [r["file"] for r in rows] == ["session-000.h5", "session-001.h5"]
    assert all((tmp_path / r["file"]).exists() and (tmp_path / r["design"]).exists() for r in rows)
    meta = json.loads((tmp_path / "index.json").read_text())
    assert meta["num_sessions"] == 2 and len(meta["sessions"]) == 2
    # an interrupted generation: one session missing -> only it is regenerated, index identical
    first = (tmp_path / "session-000.h5").stat().st_mtime_ns
    (tmp_path / "session-001.h5").unlink()
    res2 = generate_dataset(tiny_design, 2, tmp_path, progress=False)
    assert (tmp_path / "session-000.h5").stat().st_mtime_ns == first
    for r1, r2 in zip(res.sessions, res2.sessions):
        for k in ("seed", "num_cells", "num_spikes", "num_detections", "f1", "power_total_uW"):
            assert r1[k] == pytest.approx(r2[k], nan_ok=True), k


def test_cli_dataset(tiny_design, tmp_path, capsys):
    toml = tmp_path / "t.toml"
    toml.write_text(design_to_toml(tiny_design))
    assert main(["dataset", str(toml), "-n", "1", "-o", str(tmp_path / "d"), "--no-progress",
                 "--vary", "chip.detector.threshold_k=4,5"]) == 0
    assert "1 sessions in" in capsys.readouterr().out


_HASHED = ("recording/traces_uV", "recording/traces_adc", "ground_truth/spike_samples",
           "ground_truth/spike_units", "chip/events/sample_index", "chip/events/channel")


@pytest.mark.slow
def test_one_or_two_dask_workers_give_identical_traces(tiny_design, tmp_path, h5_digest):
    """Sessions are pure functions of their design: the same dataset from one process and from a
    LocalCluster of 2 workers has bit-identical traces, ground truth and events (hash)."""
    vary = {"chip.front_end.noise_uV_rms": [2.0, 6.0]}
    one = generate_dataset(tiny_design, 2, tmp_path / "one", vary=vary, progress=False)
    two = generate_dataset(tiny_design, 2, tmp_path / "two", vary=vary, workers=2, progress=False)
    digests = [tuple(h5_digest(tmp_path / run / s["file"], _HASHED) for run, s in (("one", a), ("two", b)))
               for a, b in zip(one.sessions, two.sessions)]
    assert all(a == b for a, b in digests)
    assert digests[0][0] != digests[1][0]  # the two sessions differ (seed and noise)
