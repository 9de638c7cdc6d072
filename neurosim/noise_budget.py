"""Noise budget of a reference device: where a channel's noise comes from.

`neurosim.calibration` says *whether* the twin's noise floor is inside the published range;
this module says *what it is made of*, so a chip designer sees which term dominates and a
calibration gap points at a term. Every component is input-referred, over the front end's band,
on the median channel of the device's reference design (`calibration.calibration_design`):

- ``thermal``: Johnson noise of the electrode-tissue interface, ``sqrt(int 4 k T Re Z |H|² df)``
  (CPE plus the tissue's spreading resistance, with the chronic impedance factor), from
  `neurosim.electrodes.setup_electrodes` with the amplifier off: a closed form, no run;
- ``amplifier``: the front end's input-referred noise (``chip.front_end.noise_uV_rms``);
- ``near cells``: the spikes of the simulated cells, the MAD noise of a run with every other
  source off;
- ``far cells``: the far-neuron background (cells beyond ``population.outer_radius_um``,
  `neurosim.electrodes.far_cell_background_uV_rms`), ``sqrt(neural² - near²)`` from a run with
  the neural sources only;
- ``total``: the full run, measured as `calibration.band_noise_uV_rms` measures it (MAD of the
  band-passed input-referred trace), i.e. the number the calibration table prints.

Independent sources add in power, so ``total² ≈ Σ component²``. The MAD of the spiky,
non-Gaussian near-cell term adds a little less than its share (the sum is within 2 % of the
measured total on the reference devices; ``tests/neurosim/test_noise_budget.py``).
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from neurosim.calibration import DEVICES, REFERENCES, Reference, band_noise_uV_rms, calibration_design

__all__ = ["NoiseBudget", "COMPONENTS", "noise_budget", "electrode_band_noise_uV_rms", "format_budget", "make_noise_budget_figure",
           "noise_budget_figure"]

logger = logging.getLogger(__name__)

#: Component names, in the order they are stacked and printed.
COMPONENTS = ("thermal", "amplifier", "far cells", "near cells")

#: Runs of a budget: name -> design changes (the full run, the neural sources, the near cells).
_RUNS = {
    "total": {},
    "neural": {"implant.noise.thermal": False, "implant.noise.amplifier": False},
    "near": {"implant.noise.thermal": False, "implant.noise.amplifier": False,
             "implant.noise.background_uV_rms": 0.0},
}


@dataclass(frozen=True)
class NoiseBudget:
    """Noise components of one device, µV rms over the front end's band (median channel)."""

    device: str
    thermal_uV: float
    amplifier_uV: float
    far_cells_uV: float
    near_cells_uV: float
    total_uV: float
    reference: Reference

    @property
    def components(self) -> dict[str, float]:
        """Component name (`COMPONENTS`) -> µV rms."""
        return dict(zip(COMPONENTS, (self.thermal_uV, self.amplifier_uV, self.far_cells_uV,
                                     self.near_cells_uV)))

    @property
    def quadrature_uV(self) -> float:
        """``sqrt(Σ component²)``, µV rms: what the total would be if the MAD added in power."""
        return float(np.sqrt(sum(v * v for v in self.components.values())))


def electrode_band_noise_uV_rms(design, *, thermal: bool = True, amplifier: bool = True) -> float:
    """Median over live channels of the electrode stage's white noise (`setup_electrodes`: the
    interface's thermal noise and/or the amplifier's), over the front end's band, µV rms."""
    from neurosim.electrodes import build_probe, setup_electrodes

    d = design.replace(**{"implant.noise.thermal": thermal, "implant.noise.amplifier": amplifier})
    es = setup_electrodes(d, build_probe(d), np.zeros((0, 3)), design.seed)
    fe, fs = d.chip.front_end, d.recording.fs_hz
    spread = np.sqrt((fs / 2) / (fe.lowpass_hz - fe.highpass_hz))
    alive = np.asarray(es.alive, bool)
    return float(np.median(np.asarray(es.noise_sigma_uV)[alive])) / spread if alive.any() else 0.0


def noise_budget(device: str, duration_s: float = 10.0, *, out_dir: str | Path | None = None,
                 progress: bool = False, **design_kwargs) -> NoiseBudget:
    """Measure the noise budget of ``device`` (module docstring): three runs of its reference design.

    Parameters
    ----------
    device : {"neuropixels1", "utah"}
    duration_s : float
        Recording length of each run, s (> 0).
    out_dir : path, optional
        Keep the runs' HDF5 files here (default: a temporary folder, removed afterwards).
    progress : bool
        Show the runs' progress bars.
    **design_kwargs
        Passed to `calibration.calibration_design` (``num_channels``, ``seed``).

    Returns
    -------
    NoiseBudget
    """
    from neurosim.io import read_result
    from neurosim.pipeline import run

    if device not in REFERENCES:
        raise ValueError(f"device must be one of {list(DEVICES)}, got {device!r}")
    if not (isinstance(duration_s, (int, float)) and duration_s > 0):
        raise ValueError(f"duration_s must be > 0 s, got {duration_s!r}")
    design = calibration_design(device, float(duration_s), **design_kwargs)
    measured = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(out_dir) if out_dir is not None else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for name, changes in _RUNS.items():
            path = folder / f"budget-{device}-{name}.h5"
            logger.info("noise budget run: %s, %s, %.0f s", device, name, duration_s)
            run(design.replace(**changes), path, progress=progress)
            measured[name] = float(np.median(band_noise_uV_rms(read_result(path, traces=True))))
    thermal = electrode_band_noise_uV_rms(design, amplifier=False)
    amplifier = electrode_band_noise_uV_rms(design, thermal=False)
    far = float(np.sqrt(max(measured["neural"] ** 2 - measured["near"] ** 2, 0.0)))
    return NoiseBudget(device, thermal, amplifier, far, measured["near"], measured["total"],
                       REFERENCES[device]["noise_uV_rms"])


def format_budget(budgets: list[NoiseBudget]) -> str:
    """The budgets as aligned text: one line per device, µV rms, with each term's share of power."""
    head = "".join(f"{c:>16}" for c in COMPONENTS)
    lines = [f"{'device':<14}{head}{'sum (quad.)':>13}{'total':>9}  published"]
    for b in budgets:
        power = b.total_uV ** 2
        cells = "".join(f"{v:>7.2f} ({100 * v * v / power:>3.0f} %)" for v in b.components.values())
        lines.append(f"{b.device:<14}{cells}{b.quadrature_uV:>13.2f}{b.total_uV:>9.2f}  "
                     f"{b.reference.low:g}-{b.reference.high:g} {b.reference.unit}")
    lines.append("uV rms over the front end's band, median channel; (%): share of the total's power")
    return "\n".join(lines)


def make_noise_budget_figure(budgets: list[NoiseBudget]):
    """Stacked noise power (µV²) per device, the measured total and the published range.

    Power, not amplitude, is stacked because independent sources add in power. Returns the
    matplotlib Figure; its single axes holds one bar container per component (in `COMPONENTS`
    order), the measured totals as a line named ``"measured total"`` and the published ranges as
    patches named ``"published range"``.
    """
    from neurosim.report import _pyplot

    plt = _pyplot()
    if not budgets:
        raise ValueError("budgets must hold at least one NoiseBudget, got none")
    fig, ax = plt.subplots(figsize=(1.8 + 1.6 * len(budgets), 4.2))
    x = np.arange(len(budgets), dtype=float)
    bottom = np.zeros(len(budgets))
    for name in COMPONENTS:
        h = np.array([b.components[name] ** 2 for b in budgets])
        ax.bar(x, h, 0.55, bottom=bottom, label=name)
        bottom += h
    for i, b in enumerate(budgets):
        ax.fill_between([i - 0.4, i + 0.4], b.reference.low ** 2, b.reference.high ** 2, color="0.5",
                        alpha=0.18, label="published range" if i == 0 else None, zorder=0)
    ax.plot(x, [b.total_uV ** 2 for b in budgets], "kD", label="measured total")
    ax.set_xticks(x, [b.device for b in budgets])
    ax.set_ylabel("noise power over the band (µV²)")
    ax.set_title("Noise budget of the reference devices")
    ax.legend(fontsize=8, loc="upper left", frameon=False)
    ax.set_xlim(-0.7, len(budgets) - 0.3)
    fig.tight_layout()
    return fig


def noise_budget_figure(budgets: list[NoiseBudget], path) -> Path:
    """Write `make_noise_budget_figure` to ``path`` (PNG/SVG/PDF), atomically; returns the path."""
    from neurosim.report import _save

    return _save(make_noise_budget_figure(budgets), path)
