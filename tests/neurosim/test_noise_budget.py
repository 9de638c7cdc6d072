"""Noise budget of the reference devices (neurosim.noise_budget)."""

import numpy as np
import pytest

from neurosim.calibration import REFERENCES, calibration_design
from neurosim.noise_budget import (COMPONENTS, NoiseBudget, format_budget, make_noise_budget_figure,
                                   noise_budget, noise_budget_figure)

KB = 1.380649e-23


@pytest.fixture(scope="module")
def np1_budget(tmp_path_factory):
    return noise_budget("neuropixels1", 3.0, num_channels=32, out_dir=tmp_path_factory.mktemp("budget"))


@pytest.mark.slow
def test_components_add_in_power_to_the_measured_total(np1_budget):
    """Independent sources add in power: the measured (MAD) total is the quadrature sum of the
    terms, within the few % by which the MAD of spiky near-cell activity adds less."""
    b = np1_budget
    assert all(v > 0 for v in b.components.values())
    assert b.quadrature_uV == pytest.approx(np.sqrt(sum(v ** 2 for v in b.components.values())))
    assert b.total_uV == pytest.approx(b.quadrature_uV, rel=0.05)


@pytest.mark.slow
def test_thermal_term_is_the_johnson_noise_of_the_site_in_tissue(np1_budget):
    """The thermal term exceeds the Johnson noise of the site's spreading resistance alone,
    4 k T R_s df with R_s = 1 / (4 sigma r) (Newman 1966), and stays within the CPE's share of it."""
    r = 12e-6 / np.sqrt(np.pi)                     # 12 x 12 um TiN site as an equal-area disc
    rs = 1 / (4 * 0.3 * r)
    spreading = np.sqrt(4 * KB * 310.0 * rs * (10000.0 - 300.0)) * 1e6
    assert spreading < np1_budget.thermal_uV < 1.2 * spreading
    assert np1_budget.amplifier_uV == pytest.approx(calibration_design("neuropixels1").chip.front_end.noise_uV_rms)


def _budget(device="neuropixels1", values=(4.0, 3.0, 5.0, 2.0), total=7.5):
    return NoiseBudget(device, *values, total, REFERENCES[device]["noise_uV_rms"])


def test_format_budget_shares_of_power():
    text = format_budget([_budget()])
    # 4^2 / 7.5^2 = 28 %, 5^2 / 7.5^2 = 44 %
    assert "4.00 ( 28 %)" in text and "5.00 ( 44 %)" in text
    assert "7.35" in text and "7.50" in text and "5-7 uV rms" in text


def test_budget_figure_plots_powers_totals_and_ranges(tmp_path):
    budgets = [_budget(), _budget("utah", (3.0, 3.0, 6.0, 2.0), 7.8)]
    fig = make_noise_budget_figure(budgets)
    ax = fig.axes[0]
    bars = ax.containers
    assert len(bars) == len(COMPONENTS)
    tops = np.zeros(2)
    for name, cont in zip(COMPONENTS, bars):
        heights = np.array([p.get_height() for p in cont.patches])
        np.testing.assert_allclose(heights, [b.components[name] ** 2 for b in budgets])
        np.testing.assert_allclose([p.get_y() for p in cont.patches], tops)
        tops += heights
    (total,) = [ln for ln in ax.lines if ln.get_label() == "measured total"]
    np.testing.assert_allclose(total.get_ydata(), [7.5 ** 2, 7.8 ** 2])
    ranges = [c for c in ax.collections]
    ys = [np.unique(np.round(c.get_paths()[0].vertices[:, 1], 6)) for c in ranges]
    np.testing.assert_allclose(ys[0], [25.0, 49.0])
    np.testing.assert_allclose(ys[1], [100.0, 400.0])
    assert "µV²" in ax.get_ylabel()
    out = noise_budget_figure(budgets, tmp_path / "b.png")
    assert out.exists() and out.stat().st_size > 0
    with pytest.raises(ValueError, match="budgets must hold at least one NoiseBudget"):
        make_noise_budget_figure([])


def test_noise_budget_rejects_bad_input():
    with pytest.raises(ValueError, match=r"device must be one of \['neuropixels1', 'utah'\], got 'ecog'"):
        noise_budget("ecog")
    with pytest.raises(ValueError, match="duration_s must be > 0 s, got 0"):
        noise_budget("utah", 0)


def test_cli_plot_needs_budget(capsys):
    from neurosim.cli import main

    assert main(["calibrate", "--plot", "x.png"]) == 2
    assert "--plot draws the noise budget: give --budget with it" in capsys.readouterr().err
