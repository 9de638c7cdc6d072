"""The shared counter RNG: SplitMix64 streams against an independent Python implementation, the
fast normal transform against exact float64 Box-Muller of the same bits (its stated price), and
the rule that the generator is written once."""

import math
import re
from pathlib import Path

import numpy as np
import pytest
from numba import njit

from electrode_models import _counter_rng as rng
from tests._reference import GAMMA, MASK, splitmix64

ROOT = Path(__file__).parents[2]


@njit
def _scalars(key, k, x):
    return (rng.splitmix64(x), rng.counter_hash(key, k), rng.xor_hash(key, k),
            rng.stream_key(key, 3), rng.uniform53(x), rng.uniform53_open(x), rng.uniform_at(key, k))


@njit
def _pairs(h):
    z0 = np.empty(h.size, np.float32)
    z1 = np.empty(h.size, np.float32)
    for i in range(h.size):
        z0[i], z1[i] = rng.normal_pair_f32(h[i])
    return z0, z1


@njit
def _logs(hi):
    out = np.empty(hi.size, np.float32)
    for i in range(hi.size):
        out[i] = rng.log_u32(hi[i])
    return out


def test_splitmix64_published_sequence_and_streams():
    # splitmix64.c seeded with 0 yields 0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F
    assert [splitmix64(k * GAMMA & MASK) for k in range(3)] == [
        0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F]
    r = np.random.default_rng(0)
    for key, k, x in zip(r.integers(0, MASK, 20, dtype=np.uint64, endpoint=True),
                         r.integers(0, 2 ** 62, 20), r.integers(0, MASK, 20, dtype=np.uint64)):
        key, k, x = int(key), int(k), int(x)
        got = _scalars(np.uint64(key), k, np.uint64(x))
        assert int(got[0]) == splitmix64(x)
        assert int(got[1]) == splitmix64((key + k * GAMMA) & MASK)
        assert int(got[2]) == splitmix64(key ^ (k * GAMMA & MASK))
        assert int(got[3]) == key ^ (3 * 0xD1B54A32D192ED03 & MASK)
        assert got[4] == (x >> 11) / 2.0 ** 53
        assert got[5] == ((x >> 11) + 0.5) / 2.0 ** 53
        assert got[6] == ((splitmix64((key + k * GAMMA) & MASK) >> 11) + 0.5) / 2.0 ** 53
    keys = rng.channel_keys(np.uint64(12345), 5)
    assert [int(v) for v in keys] == [splitmix64(splitmix64(c) ^ 12345) for c in range(5)]


def _box_muller_f64(h):
    """Exact Box-Muller of the documented bit layout, in float64."""
    hi = (h >> np.uint64(32)).astype(np.float64)
    lo = h & np.uint64(0xFFFFFFFF)
    r = np.sqrt(-2.0 * np.log((hi + 0.5) * 2.0 ** -32))
    phi = ((lo & np.uint64(0x1FFFFFFF)).astype(np.float64) + 0.5) * (np.pi / 4) * 2.0 ** -29
    swap = (lo & np.uint64(1 << 29)) != 0
    a = np.where(swap, np.sin(phi), np.cos(phi))
    b = np.where(swap, np.cos(phi), np.sin(phi))
    s0 = np.where((lo & np.uint64(1 << 31)) != 0, -1.0, 1.0)
    s1 = np.where((lo & np.uint64(1 << 30)) != 0, -1.0, 1.0)
    return s0 * r * a, s1 * r * b, r


def test_fast_normal_within_stated_error_of_exact_box_muller():
    """Stated price: |z - z_exact| <= 3.5e-7 r <= 2.4e-6 and |z| <= sqrt(66 ln 2) = 6.7637."""
    h = np.random.default_rng(1).integers(0, MASK, 1_000_000, dtype=np.uint64, endpoint=True)
    edges = [0, MASK, 2 ** 32 - 1, MASK - 2 ** 32 + 1, 0xB504F33300000000, 0xB504F33400000000,
             0xFFFFFFFE00000000, 0x0000000100000000, 0x00000000_1FFFFFFF, 0x00000000_20000000]
    h[:len(edges)] = np.array(edges, dtype=np.uint64)
    z0, z1 = _pairs(h)
    e0, e1, r = _box_muller_f64(h)
    err = np.maximum(np.abs(z0 - e0), np.abs(z1 - e1))
    assert np.all(err <= 3.5e-7 * r + 1e-12)
    assert err.max() <= 2.4e-6
    bound = math.sqrt(66 * math.log(2))
    assert np.abs(z0[0]) == pytest.approx(bound, rel=1e-6)       # hi = 0: the largest radius
    assert max(np.abs(z0).max(), np.abs(z1).max()) <= bound * (1 + 1e-6)
    # hi = 2^32 - 1: u = 1 - 2^-33, r = sqrt(-2 ln u) ~ 2^-16 (u itself rounds to 1 in float32)
    assert math.hypot(z0[1], z1[1]) == pytest.approx(math.sqrt(-2 * math.log1p(-2.0 ** -33)), rel=1e-6)
    # the radius near u = 1 keeps its relative accuracy (the complement branch)
    top = (h >> np.uint64(32)) > np.uint64(0xFFFF0000)
    assert np.all(np.hypot(z0[top], z1[top]) == pytest.approx(r[top], rel=1e-6))


def test_log_u32_relative_error():
    hi = np.concatenate([np.arange(0, 4096), np.arange(2 ** 32 - 4096, 2 ** 32),
                         np.random.default_rng(2).integers(0, 2 ** 32, 200_000)]).astype(np.uint32)
    exact = np.log((hi.astype(np.float64) + 0.5) * 2.0 ** -32)
    got = _logs(hi).astype(np.float64)
    assert np.all(np.abs(got - exact) <= 3e-7 * np.abs(exact) + 1e-45)


def test_splitmix64_constants_written_once():
    """The generator lives in electrode_models/_counter_rng.py only (no copies in the packages)."""
    pattern = re.compile(r"9E3779B97F4A7C15|BF58476D1CE4E5B9|94D049BB133111EB", re.IGNORECASE)
    holders = sorted(p.relative_to(ROOT).as_posix()
                     for pkg in ("electrode_models", "chip_models", "neurosim")
                     for p in (ROOT / pkg).rglob("*.py") if pattern.search(p.read_text()))
    assert holders == ["electrode_models/_counter_rng.py"]
