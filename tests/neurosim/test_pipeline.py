"""End to end on a tiny design: file schema, determinism, chunk independence, atomic writes."""

import numpy as np
import pytest

import neurosim.pipeline as pipeline
from neurosim.io import read_result, spike_times_s, validate_file
from neurosim.io.schema import markdown


@pytest.fixture(scope="module")
def tiny_run(tiny_design, tmp_path_factory):
    path = tmp_path_factory.mktemp("run") / "tiny.h5"
    result = pipeline.run(tiny_design, path, progress=False)
    return result, path


def test_file_matches_schema_and_reads_back(tiny_run, tiny_design):
    result, path = tiny_run
    assert validate_file(path) == []
    r = read_result(path, traces=True)
    n_s = int(round(tiny_design.recording.duration_s * tiny_design.recording.fs_hz))
    assert r["recording/traces_uV"].shape == (n_s, 16)
    assert r["recording/traces_adc"].dtype == np.int16
    assert r["attrs/root"]["seed"] == 7
    assert "neurosim_version" in r["attrs/root"]
    assert "[recording]" in r["attrs/root"]["design_toml"]
    assert r["ground_truth/units/positions_um"].shape[0] == result.activity.num_cells
    # the file holds each spike's sample (the nearest to its time); seconds are derived from it
    fs = tiny_design.recording.fs_hz
    assert np.array_equal(r["ground_truth/spike_samples"], np.round(result.activity.spike_times_s * fs))
    np.testing.assert_allclose(spike_times_s(r), result.activity.spike_times_s, rtol=0, atol=0.5 / fs)
    assert "ground_truth/spike_times_s" not in r
    import probeinterface
    import json
    group = probeinterface.ProbeGroup.from_dict(json.loads(r["probe/probeinterface_json"]))
    assert np.allclose(group.probes[0].contact_positions, r["probe/contact_positions_um"])


def test_schema_document_is_current():
    from pathlib import Path

    doc = Path(__file__).parents[2] / "docs" / "file_format.md"
    assert doc.read_text() == markdown(), "regenerate: neurosim schema > docs/file_format.md"


def test_spikes_visible_on_traces(tiny_run):
    """Averaging the raw trace at a unit's spike times recovers its template trough."""
    _, path = tiny_run
    r = read_result(path, traces=True)
    snr = r["ground_truth/units/snr"]
    best = r["ground_truth/units/best_channel"]
    counts = np.bincount(r["ground_truth/spike_units"], minlength=len(snr))
    firing = counts >= 5              # most pyramidal cells are dark (population.dark_fraction)
    u = int(np.argmax(np.where(firing, snr, -np.inf)))
    assert snr[u] > 5, "the tiny design should contain at least one clearly visible firing unit"
    s = r["ground_truth/spike_samples"][r["ground_truth/spike_units"] == u]
    trace = r["recording/traces_uV"][:, best[u]].astype(float)
    s = s[(s > 100) & (s < len(trace) - 100)]
    k = list(r["ground_truth/templates/channel_index"][u]).index(best[u])
    trough = r["ground_truth/templates/waveforms_uV"][u, :, k].min()
    sta = trace[s].mean()
    noise_se = r["chip/input_noise_uV_rms"][best[u]] / np.sqrt(len(s))
    # other units add a zero-mean-ish background; allow 5 standard errors plus 15 %
    assert abs(sta - trough) < 5 * noise_se + 0.15 * abs(trough) + 10.0
    assert sta < -3 * r["chip/noise_uV_rms"][best[u]]


def test_same_seed_same_output_and_chunk_independence(tiny_design, tiny_run, tmp_path, h5_digest):
    _, path = tiny_run
    again = tmp_path / "again.h5"
    pipeline.run(tiny_design, again, progress=False)
    assert h5_digest(again) == h5_digest(path)
    rechunked = tmp_path / "rechunked.h5"
    pipeline.run(tiny_design.replace(**{"recording.chunk_s": 0.07}), rechunked, progress=False)
    assert h5_digest(rechunked) == h5_digest(path)
    other = tmp_path / "other.h5"
    pipeline.run(tiny_design.replace(seed=8), other, progress=False)
    assert h5_digest(other) != h5_digest(path)


def test_interrupted_run_leaves_no_file(tiny_design, tmp_path, monkeypatch):
    out = tmp_path / "broken.h5"
    calls = {"n": 0}
    import chip_models

    real = chip_models.MADThresholdDetector.process

    def failing(self, x):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt("simulated kill mid-write")
        return real(self, x)

    monkeypatch.setattr(chip_models.MADThresholdDetector, "process", failing)
    with pytest.raises(KeyboardInterrupt):
        pipeline.run(tiny_design, out, progress=False)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_scores_consistent(tiny_run):
    result, path = tiny_run
    sc = result.scores
    assert 0 <= sc.precision <= 1 and 0 <= sc.recall <= 1
    r = read_result(path)
    assert r["attrs/scores"]["f1"] == pytest.approx(sc.f1, nan_ok=True)
    assert result.summary["channels"] == 16
    # events fit the schema and lie inside the recording
    ev = r["chip/events/sample_index"]
    assert ev.size == 0 or (ev.min() >= 0 and ev.max() < r["attrs/recording"]["duration_s"] * 30000)


@pytest.mark.slow
def test_all_options_together_are_chunk_independent(tiny_design, tmp_path, h5_digest):
    """Drift, background, chronic change, 1/f amplifier noise, multiplexed ADC, NEO, compression,
    link, LFP band and stimulation: the file validates and does not depend on the chunk size."""
    design = tiny_design.replace(**{
        "implant.material": "TiN", "implant.days_since_implant": 200.0,
        "implant.drift.kind": "zigzag", "implant.drift.amplitude_um": 10.0, "implant.drift.period_s": 0.4,
        "implant.noise.background_uV_rms": 5.0,
        "chip.front_end.add_amplifier_noise": True, "chip.front_end.noise_corner_hz": 100.0,
        "chip.front_end.lfp_enabled": True, "chip.adc.channels_per_adc": 8,
        "chip.detector.kind": "neo", "chip.radio.output_mode": "compressed",
        "chip.radio.link_capacity_mbps": 10.0, "chip.stimulation.enabled": True,
        "chip.stimulation.contact": 3,
    })
    a, b = tmp_path / "a.h5", tmp_path / "b.h5"
    ra = pipeline.run(design, a, progress=False)
    pipeline.run(design.replace(**{"recording.chunk_s": 0.07}), b, progress=False)
    assert validate_file(a) == []
    assert h5_digest(a) == h5_digest(b)
    r = read_result(a)
    assert r["lfp"]["lfp_uV"].shape == (int(0.6 * 30000 / 12), 16)
    assert ra.metrics["compression_ratio"] > 1.0
    assert r["ground_truth/units/alive"].dtype == bool
    # dead channels carry no neural signal and no electrode noise
    alive = r["probe/channel_alive"]
    assert np.all(r["probe/signal_gain"][~alive] == 0.0)
