"""The install-time warm-up compiles by running briefly, and leaves no result a later run reads."""

import neurosim.pipeline as pipeline
from neurosim.warmup import WARMUP_DURATION_S, WARMUP_SEED, main, warm_up


def test_warm_up_runs_briefly_with_another_seed_and_no_cache(tiny_design, tmp_path, monkeypatch):
    monkeypatch.setenv("NEUROSIM_CACHE_DIR", str(tmp_path / "cache"))
    calls = []
    real_run = pipeline.run

    def spy(design, out_path=None, **kwargs):
        calls.append((design, kwargs))
        return real_run(design, out_path, **kwargs)

    monkeypatch.setattr(pipeline, "run", spy)
    assert warm_up(tiny_design, quiet=True) > 0
    (design, kwargs), = calls
    assert design.seed == WARMUP_SEED != tiny_design.seed
    assert design.recording.duration_s == WARMUP_DURATION_S
    assert design.chip.detector.calibration_s < WARMUP_DURATION_S  # detection and scoring run too
    assert kwargs["cache_dir"] is None
    # no cortex activity and no templates cached: the user's first run still computes its own
    cache = tmp_path / "cache"
    assert not list(cache.rglob("activity-*")) and not list(cache.rglob("templates-*"))


def test_warm_up_command_line_takes_a_design_file(tiny_design, tmp_path, monkeypatch, capsys):
    from neurosim.design import design_to_toml

    path = tmp_path / "tiny.toml"
    path.write_text(design_to_toml(tiny_design))
    monkeypatch.setenv("NEUROSIM_CACHE_DIR", str(tmp_path / "cache"))
    assert main([str(path)]) == 0
    assert "kernels compiled" in capsys.readouterr().out
