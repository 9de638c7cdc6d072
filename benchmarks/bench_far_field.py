"""Far field of one cell's spike: this project's templates against a peer (NEURON + LFPy, BBP cells).

Run:  .venv/bin/python benchmarks/bench_far_field.py [--peer] [--json out.json] [--plot out.png]

Why: the far-cell background (`neurosim.electrodes.far_cell_background_uV_rms`) is the largest
neural term of the reference devices' noise floor (`neurosim calibrate --budget`), and 98 % of it
comes from pyramidal cells 150 µm to 2 mm away. It is only as good as the templates' far field.

Protocol (both sides): soma at the origin, apical axis along +z, infinite homogeneous medium of
0.3 S/m, potential at 25-1000 µm from the soma in 200 directions on the sphere (seeded) and 36 in
the horizontal plane, 32 kHz, band-passed 300-6000 Hz (3rd-order Butterworth, zero phase, on
the trace zero-padded to 4x its length), energy ``E = Σ v² dt`` per point, mean over directions.

- **neurosim**: `electrode_models.compute_templates` of a class (the mean over its first 8
  variants, no tilt, no spin; point contacts).
- **peer** (``--peer``; ``pip install 'neurosim[bench]'``): MEArec's bundled Blue Brain cells
  ``L5_TTPC1_cADpyr232_1`` (thick-tufted L5 pyramidal cell) and ``L5_NBC_bAC217_1`` (nest basket
  cell) in NEURON through LFPy, loaded as MEArec's ``return_bbp_cell`` loads them (the synapse
  mechanisms stubbed as in ``bench_vs_peers.py``); a somatic current step of the cell's first
  ``current_amps.dat`` step; the second spike (MEArec also drops the first); the segments'
  transmembrane currents over -2..+5 ms with the injected current taken out at the soma (net-zero
  sources: otherwise the step's constant current leaks a 1/d monopole into the band) and a linear
  baseline removed; line-source potentials (``LFPy.RecExtElectrode``). Each cell runs in its own
  process. Without ``--peer`` the stored curves (``tests/data/bbp_far_field.json``, written by
  ``--peer --store``) stand in.

Output: E(d)/E(50 µm) of both sides, their ratio, and the exponent p of ``E ∝ d^-p`` over 100-400
and 200-1000 µm (a dipole far field gives p = 4, a quadrupole 6). Measured on 2026-12-06 (MEArec
1.11.0, LFPy 2.3.7, NEURON 9.0.2): both far fields are dipolar (p over 200-1000 µm: twin L5 4.02,
BBP L5 4.22; twin basket 4.13, BBP basket 4.11), but relative to 50 µm the twin's L5 pyramidal
cell carries 2.6x (200 µm) to 5x (1 mm) more energy than the BBP cell, and its basket cell ~9x less.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

FS_HZ = 32000.0
SIGMA = 0.3
DISTANCES_UM = np.array([25, 35, 50, 70, 100, 140, 200, 280, 400, 560, 800, 1000], float)
N_SPHERE, N_HORIZONTAL, DIRECTION_SEED = 200, 36, 12345
#: (twin class, BBP cell) pairs compared.
PAIRS = (("L5_TTPC", "L5_TTPC1_cADpyr232_1"), ("BC", "L5_NBC_bAC217_1"))
PRE_MS, POST_MS = 2.0, 5.0
STORED = Path(__file__).resolve().parents[1] / "tests" / "data" / "bbp_far_field.json"


def directions() -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors: ``N_SPHERE`` uniform on the sphere (seeded) and ``N_HORIZONTAL`` in z = 0."""
    u = np.random.default_rng(DIRECTION_SEED).normal(size=(N_SPHERE, 3))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    az = np.arange(N_HORIZONTAL) * 2 * np.pi / N_HORIZONTAL
    return u, np.stack([np.cos(az), np.sin(az), np.zeros_like(az)], 1)


def points() -> np.ndarray:
    """Electrode points, distance-major: sphere directions then horizontal ones, (n_d * 236, 3)."""
    u, h = directions()
    dirs = np.vstack([u, h])
    return (DISTANCES_UM[:, None, None] * dirs[None]).reshape(-1, 3)


def band_energy(v_uV: np.ndarray) -> np.ndarray:
    """``Σ v² dt`` (µV² s) of each row after the 300-6000 Hz zero-phase band-pass (zero-padded x4)."""
    from scipy.signal import butter, sosfiltfilt

    sos = butter(3, (300.0, 6000.0), btype="band", fs=FS_HZ, output="sos")
    n, t = v_uV.shape
    padded = np.zeros((n, 4 * t))
    padded[:, (3 * t) // 2:(3 * t) // 2 + t] = v_uV
    return (sosfiltfilt(sos, padded, axis=1) ** 2).sum(axis=1) / FS_HZ


def summarise(energy: np.ndarray) -> dict:
    """Mean energy per distance (sphere, horizontal), normalised to 50 µm, and power-law exponents."""
    e = energy.reshape(len(DISTANCES_UM), N_SPHERE + N_HORIZONTAL)
    out = {}
    for name, cols in (("sphere", slice(0, N_SPHERE)), ("horizontal", slice(N_SPHERE, None))):
        mean = e[:, cols].mean(axis=1)
        rel = mean / mean[DISTANCES_UM == 50.0][0]
        out[name] = {"energy_uV2s": mean.tolist(), "E_over_E50": rel.tolist(),
                     "p_100_400": exponent(mean, 100, 400), "p_200_1000": exponent(mean, 200, 1000)}
    return out


def exponent(energy, lo: float, hi: float) -> float:
    """p of ``E ∝ d^-p`` fitted in log-log over ``lo <= d <= hi`` µm."""
    m = (DISTANCES_UM >= lo) & (DISTANCES_UM <= hi)
    return float(-np.polyfit(np.log(DISTANCES_UM[m]), np.log(np.asarray(energy)[m]), 1)[0])


def twin_far_field(cell_class: str, num_variants: int = 8) -> dict:
    """The twin's curves for ``cell_class`` (mean energy over its first ``num_variants`` variants)."""
    import electrode_models as em

    pts = points()
    normals = np.tile([1.0, 0.0, 0.0], (len(pts), 1))
    energy = np.zeros(len(pts))
    for variant in range(num_variants):
        t = em.compute_templates([cell_class], np.zeros((1, 3)), np.array([[0.0, 0.0, 1.0]]), pts, normals,
                                 0.0, FS_HZ, SIGMA, variants=[variant], spin_rad=[0.0],
                                 max_channels=len(pts), min_amplitude_uV=0.0, cutoff_um=1e4)
        w = np.zeros((len(pts), t.waveforms_uV.shape[1]))
        ci = t.channel_index[0]
        w[ci[ci >= 0]] = t.waveforms_uV[0][:, ci >= 0].T
        energy += band_energy(w) / num_variants
    return summarise(energy)


# -- the peer: a BBP cell in NEURON through LFPy ------------------------------------------------------

def _prepare_cell(name: str, cache_dir: Path) -> Path:
    """Copy MEArec's bundled cell ``name`` into ``cache_dir`` with the synapse mechanisms stubbed."""
    from bench_vs_peers import copy_bbp_cell  # benchmarks/ is on sys.path (the script's folder)

    folder = cache_dir / "cells" / name
    if not folder.is_dir():
        copy_bbp_cell(name, folder)
    if not any((folder / "mechanisms").glob("*/libnrnmech*")) and not any(
            (folder / "mechanisms").glob("*/.libs/libnrnmech*")):
        env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
        subprocess.run(["nrnivmodl"], cwd=folder / "mechanisms", check=True, env=env,
                       stdout=subprocess.DEVNULL)
    return folder


def _simulate_peer_cell(folder: Path, out: Path) -> None:
    """(In its own process.) One spike of the cell: net-zero segment currents and the transfer matrix."""
    import LFPy
    import neuron

    neuron.load_mechanisms(str(folder / "mechanisms"))
    h = neuron.h
    h.load_file("stdrun.hoc")
    h.load_file("import3d.hoc")
    cwd = os.getcwd()
    os.chdir(folder)
    template = next(line.split()[-1] for line in open("template.hoc") if "begintemplate" in line.split())
    for f in ("constants.hoc", "morphology.hoc", "biophysics.hoc", str(Path("synapses") / "synapses.hoc"),
              "template.hoc"):
        h.load_file(1, f)
    morph = next(Path("morphology").iterdir())
    dt = 1000.0 / FS_HZ
    cell = LFPy.TemplateCell(morphology=str(morph), templatefile=str(Path("template.hoc").absolute()),
                             templatename=template, templateargs=0, tstop=250.0, dt=dt, v_init=-70,
                             pt3d=True, delete_sections=True, verbose=False)
    step_nA = float(np.loadtxt("current_amps.dat").ravel()[1])
    os.chdir(cwd)
    soma = next(s for s in cell.allseclist if "soma" in s.name())
    clamp = h.IClamp(0.5, sec=soma)
    clamp.delay, clamp.dur, clamp.amp = 20.0, 1e9, step_nA
    stim = h.Vector().record(clamp._ref_i, dt)
    cell.simulate(rec_imem=True)
    v = cell.somav
    ups = np.flatnonzero((v[:-1] < -30) & (v[1:] > -30))
    spikes = [int(s + np.argmax(v[s:s + 30])) for s in ups]
    if len(spikes) < 2:
        raise RuntimeError(f"{folder.name} fired {len(spikes)} spike(s) on a {step_nA} nA step, 2 needed")
    pre, post = int(round(PRE_MS * FS_HZ / 1000)), int(round(POST_MS * FS_HZ / 1000))
    window = slice(spikes[1] - pre, spikes[1] + post + 1)
    imem = cell.imem[:, window].copy()
    soma_idx = cell.get_idx("soma")
    imem[soma_idx] -= np.asarray(stim)[:len(cell.tvec)][window] / len(soma_idx)   # net-zero sources
    cell.set_pos(0, 0, 0)
    rot = np.array([[1.0, 0, 0], [0, 0, -1], [0, 1, 0]])   # the cells' apical +y -> +z
    xyz = np.einsum("ij,jnk->ink", rot, np.stack([cell.x, cell.y, cell.z]))
    cell.x, cell.y, cell.z = xyz[0].copy(), xyz[1].copy(), xyz[2].copy()
    p = points()
    el = LFPy.RecExtElectrode(cell, sigma=SIGMA, x=p[:, 0], y=p[:, 1], z=p[:, 2], method="linesource")
    np.savez(out, imem_nA=imem, transfer_mV_per_nA=el.get_transformation_matrix(), step_nA=step_nA,
             spikes=len(spikes))


def peer_far_field(name: str, cache_dir: Path) -> dict:
    """The peer's curves for BBP cell ``name`` (its NEURON run in a child process)."""
    folder = _prepare_cell(name, cache_dir)
    out = cache_dir / f"{name}.npz"
    subprocess.run([sys.executable, __file__, "--simulate", str(folder), str(out)], check=True)
    z = np.load(out)
    v = 1000.0 * z["transfer_mV_per_nA"] @ z["imem_nA"]          # µV
    k = 8                                                       # linear baseline through the ends
    a, b = v[:, :k].mean(1, keepdims=True), v[:, -k:].mean(1, keepdims=True)
    v = v - (a + (b - a) * np.linspace(0.0, 1.0, v.shape[1])[None])
    res = summarise(band_energy(v))
    res["step_nA"], res["spikes"] = float(z["step_nA"]), int(z["spikes"])
    return res


def versions() -> dict:
    out = {}
    for mod in ("MEArec", "LFPy", "neuron"):
        try:
            out[mod] = __import__(mod).__version__
        except Exception:  # noqa: BLE001 - absent or broken: recorded as such
            out[mod] = None
    return out


def plot(rows: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # a script, not the library: headless PNG
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.2, 4.2))
    for (twin_cls, bbp), colour in zip(PAIRS, ("C0", "C3")):
        ax.loglog(DISTANCES_UM, rows[twin_cls]["sphere"]["E_over_E50"], "o-", color=colour, label=f"neurosim {twin_cls}")
        ax.loglog(DISTANCES_UM, rows[bbp]["sphere"]["E_over_E50"], "s--", color=colour, label=f"BBP {bbp.split('_')[1]} (LFPy)")
    d = DISTANCES_UM[DISTANCES_UM >= 200]
    ax.loglog(d, 2e-3 * (d / 200) ** -4, "k:", label="d$^{-4}$ (dipole)")
    ax.set_xlabel("distance from the soma (µm)")
    ax.set_ylabel("band energy / energy at 50 µm")
    ax.set_title("Far field of one spike, 300-6000 Hz, mean over directions")
    ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--peer", action="store_true", help="simulate the BBP cells (NEURON + LFPy) instead of "
                                                         "reading the stored curves")
    ap.add_argument("--store", action="store_true", help="with --peer: write the peer curves to " + str(STORED))
    ap.add_argument("--cache-dir", default=str(Path.home() / ".cache" / "neurosim" / "far_field"))
    ap.add_argument("--json", default=None, help="write all curves here")
    ap.add_argument("--plot", default=None, help="PNG of E(d)/E(50 µm), both sides")
    ap.add_argument("--simulate", nargs=2, metavar=("CELL_FOLDER", "OUT_NPZ"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.simulate:
        _simulate_peer_cell(Path(args.simulate[0]), Path(args.simulate[1]))
        return 0
    rows = {cls: twin_far_field(cls) for cls, _ in PAIRS}
    if args.peer:
        cache = Path(args.cache_dir)
        cache.mkdir(parents=True, exist_ok=True)
        peer = {bbp: peer_far_field(bbp, cache) for _, bbp in PAIRS}
        peer["_meta"] = {"versions": versions(), "distances_um": DISTANCES_UM.tolist(),
                         "made_by": "benchmarks/bench_far_field.py --peer --store"}
        if args.store:
            STORED.parent.mkdir(parents=True, exist_ok=True)
            STORED.write_text(json.dumps(peer, indent=1) + "\n")
    else:
        peer = json.loads(STORED.read_text())
    rows.update({k: v for k, v in peer.items() if k != "_meta"})
    print(f"peer: {peer['_meta']['versions']}")
    print(f"{'d (um)':>8}" + "".join(f"{c[:20]:>22}" for pair in PAIRS for c in pair) + "   (E / E at 50 um, sphere)")
    for i, d in enumerate(DISTANCES_UM):
        print(f"{d:>8.0f}" + "".join(f"{rows[c]['sphere']['E_over_E50'][i]:>22.3g}" for pair in PAIRS for c in pair))
    for twin_cls, bbp in PAIRS:
        t, p = rows[twin_cls]["sphere"], rows[bbp]["sphere"]
        ratio = np.array(t["E_over_E50"]) / np.array(p["E_over_E50"])
        sel = (DISTANCES_UM >= 200) & (DISTANCES_UM <= 1000)
        print(f"{twin_cls} vs {bbp}: p(200-1000 um) {t['p_200_1000']:.2f} vs {p['p_200_1000']:.2f}; "
              f"p(100-400 um) {t['p_100_400']:.2f} vs {p['p_100_400']:.2f}; twin/peer of E/E50 at 200-1000 um: "
              f"{ratio[sel].min():.2g}-{ratio[sel].max():.2g}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    if args.plot:
        plot(rows, Path(args.plot))
        print(f"wrote {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
