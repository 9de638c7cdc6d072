"""Brian2 devices: choice by expected wall time, size buckets, the standalone program reused across
seeds, durations and cell counts, its background draw, determinism, statistics across devices."""

import numpy as np
import pytest

from neurosim.populations import _brian, simulate_balanced_ei
from neurosim.populations._brian import (AUTO_STANDALONE_MIN_CELLS, choose_device, expected_wall_s,
                                         import_brian2, size_bucket, steps_for)


def test_choose_device():
    assert choose_device("auto", 100) == "runtime"
    assert choose_device("auto", AUTO_STANDALONE_MIN_CELLS) == "cpp_standalone"
    assert choose_device("runtime", 10**6) == "runtime"
    with pytest.raises(ValueError, match=r"population\.device must be one of .* got 'gpu'"):
        choose_device("gpu", 10)


def test_auto_picks_the_smaller_expected_wall_time(monkeypatch):
    monkeypatch.setattr(_brian, "compiler_available", lambda: True)
    short, long_ = 1000, 1_000_000            # 0.1 s and 100 s at dt = 0.1 ms
    # a short run never pays for a compilation; a long or large one does
    assert choose_device("auto", 5000, short) == "runtime"
    assert choose_device("auto", 5000, long_) == "cpp_standalone"
    # the choice never depends on whether a program is compiled already (the devices draw different
    # random numbers: the same design and seed must get the same device); compilation always counts
    for n, steps in ((1000, short), (5000, 50_000), (50_000, 10_000)):
        rt = expected_wall_s("runtime", n, steps)
        cold = expected_wall_s("cpp_standalone", n, steps, compiled=False)
        expected = "cpp_standalone" if cold < rt else "runtime"
        assert choose_device("auto", n, steps) == choose_device("auto", n, steps, compiled=True) == expected
    monkeypatch.setattr(_brian, "compiler_available", lambda: False)
    assert choose_device("auto", 5000, long_, compiled=True) == "runtime"


def test_size_bucket_and_steps():
    sizes = np.unique(np.concatenate([np.arange(1, 5000), np.geomspace(5000, 1e8, 500).astype(int)]))
    buckets = np.array([size_bucket(int(n)) for n in sizes])
    assert np.all(buckets >= sizes) and np.all(np.diff(buckets) >= 0)
    big = sizes >= 16
    assert np.all(buckets[big] <= 1.125 * sizes[big])          # at most 12.5 % padding
    assert len(np.unique(buckets[(sizes > 1024) & (sizes <= 2048)])) == 8   # 8 buckets per octave
    # Brian2's own step count (Clock._calc_timestep): round when representable, else ceil
    assert steps_for(0.3, 1e-4) == 3000 and steps_for(1.0, 1e-4) == 10000 and steps_for(0.00025, 1e-4) == 3
    assert steps_for(0.0, 1e-4) == 0


def _object_stamps(build):
    return {o.name: o.stat().st_mtime_ns for o in build.rglob("*.o")}


@pytest.mark.slow
def test_standalone_program_is_reused_for_new_seeds_durations_and_sizes(tmp_path, monkeypatch):
    monkeypatch.setenv("NEUROSIM_CACHE_DIR", str(tmp_path))
    b2 = import_brian2()
    t1, u1 = simulate_balanced_ei(400, 100, 0.5, seed=3, device="cpp_standalone")
    builds = [p for p in (tmp_path / "brian2").iterdir() if p.is_dir()]
    assert len(builds) == 1 and any(builds[0].glob("main*"))
    stamps = _object_stamps(builds[0])
    assert "main.o" in stamps and len(stamps) > 5
    t2, u2 = simulate_balanced_ei(400, 100, 0.5, seed=3, device="cpp_standalone")
    assert np.array_equal(t1, t2) and np.array_equal(u1, u2)   # same machine, single thread
    # a new seed, a new duration and 10 more cells (same size bucket): nothing recompiles
    t3, u3 = simulate_balanced_ei(410, 100, 0.3, seed=4, device="cpp_standalone")
    assert [p for p in (tmp_path / "brian2").iterdir() if p.is_dir()] == builds
    assert _object_stamps(builds[0]) == stamps
    assert len(t3) > 0 and t3.max() < 0.3 and u3.max() < 510
    # 5 % fewer cells (a smaller size bucket): the compiled program of the larger one serves
    t5, u5 = simulate_balanced_ei(380, 95, 0.2, seed=5, device="cpp_standalone")
    assert [p for p in (tmp_path / "brian2").iterdir() if p.is_dir()] == builds
    assert _object_stamps(builds[0]) == stamps and len(t5) > 0 and u5.max() < 475
    # the program stopped after exactly the steps of 0.3 s: the last step (0.2999 s) ran
    assert np.isclose(t3.max(), 0.2999, atol=2e-3)
    assert b2.get_device().__class__.__name__ == "RuntimeDevice"
    t4, u4 = simulate_balanced_ei(400, 100, 0.5, seed=3)          # runtime after standalone
    assert len(t4) > 0


@pytest.mark.slow
def test_standalone_and_runtime_networks_have_the_same_statistics(tmp_path, monkeypatch):
    """Different random streams, same model: mean E and I rates over seeds agree within their
    seed-to-seed spread (the network state fluctuates by ~1 Hz between seeds at 1 000 cells)."""
    monkeypatch.setenv("NEUROSIM_CACHE_DIR", str(tmp_path))
    rates = {}
    for device in ("runtime", "cpp_standalone"):
        r = []
        for seed in range(5):
            t, u = simulate_balanced_ei(800, 200, 1.0, seed, device=device)
            r.append([np.sum(u < 800) / 800, np.sum(u >= 800) / 200])
        rates[device] = np.array(r)
    a, b = rates["runtime"], rates["cpp_standalone"]
    se = np.sqrt(a.var(0, ddof=1) / len(a) + b.var(0, ddof=1) / len(b))
    assert np.all(a.mean(0) > 1.0) and np.all(np.abs(a.mean(0) - b.mean(0)) < 4 * se + 0.05 * a.mean(0))


@pytest.mark.slow
def test_standalone_background_counts_are_poisson(tmp_path, monkeypatch):
    """The C++ draw (exponential gaps carried from cell to cell, thinning) gives every cell of
    every step an independent Poisson(lam dt) count: mean, dispersion of the per-cell totals,
    and no correlation between neighbouring cells; the control group stops the program after
    exactly the requested steps."""
    from neurosim.populations._lif import _cpp_counts_function

    monkeypatch.setenv("NEUROSIM_CACHE_DIR", str(tmp_path))
    n, steps = 2000, 4000
    lam = np.repeat([500.0, 2000.0], n // 2)   # Hz; top 2000 Hz: the first half is thinned
    with _brian.brian_device("cpp_standalone", "bg-test") as b2:
        b2.defaultclock.dt = 0.1 * b2.ms
        g = b2.NeuronGroup(n, "x : 1\ny : 1\nlam : Hz (constant)\ntop : Hz (constant)",
                           namespace={"bg_counts": _cpp_counts_function(b2)}, name="counter")
        g.lam, g.top = lam * b2.Hz, 2000.0 * b2.Hz
        g.run_regularly("x += bg_counts(lam * dt, top * dt, 0)\ny += bg_counts(lam * dt, top * dt, 1)")
        control = _brian.standalone_control(b2)
        net = b2.Network(g, control)
        _brian.run_network(b2, net, steps * 1e-4, "cpp_standalone", "bg-test", seed=11, control=control)
        x, y = np.asarray(g.x[:]), np.asarray(g.y[:])
    for total in (x, y):
        for half, rate in ((slice(0, n // 2), 500.0), (slice(n // 2, n), 2000.0)):
            mu = rate * 1e-4 * steps       # 200 and 800 events
            c = total[half]
            assert abs(c.mean() - mu) < 5 * np.sqrt(mu / c.size)
            assert abs(c.var(ddof=1) / mu - 1) < 5 * np.sqrt(2 / (c.size - 1))
    for half in (slice(0, n // 2), slice(n // 2, n)):   # within one rate: neighbours, streams independent
        xs, ys = x[half], y[half]
        assert abs(np.corrcoef(xs[:-1], xs[1:])[0, 1]) < 5 / np.sqrt(xs.size)
        assert abs(np.corrcoef(xs, ys)[0, 1]) < 5 / np.sqrt(xs.size)


def test_program_sizes_reuse_a_compiled_larger_program(tmp_path, monkeypatch):
    monkeypatch.setenv("NEUROSIM_CACHE_DIR", str(tmp_path))
    key, sizes, compiled = _brian.program_sizes("abc", [5007, 625991])
    assert not compiled and sizes == [size_bucket(5258), size_bucket(657291)]  # 5 % headroom
    assert key == f"abc-{sizes[0]}-{sizes[1]}"
    for name in (key, "abc-9000-700000", "abc-5120-655360", "abc-4096-655360", "xyz-5120-655360",
                 "abc-5120-655360.123.4"):
        (tmp_path / "brian2" / name).mkdir(parents=True)
        (tmp_path / "brian2" / name / "neurosim-build-complete").touch()
    # the smallest compiled program that fits within 30 % (not 9000: too large; not 4096: too small)
    assert _brian.program_sizes("abc", [5007, 625991]) == ("abc-5120-655360", [5120, 655360], True)
    assert _brian.program_sizes("abc", [5150, 625991])[1] == sizes        # 5120 no longer fits
    assert _brian.program_sizes("abc", [5007, 625991, 10])[2] is False    # other array count
