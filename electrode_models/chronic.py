"""Chronic change after implantation: encapsulation, neuron loss near the shank, dead channels.

Pure functions of ``days_since_implant`` (and a seed for the per-channel/per-cell draws), so a
recording at day d is reproducible and a channel or cell lost at day d stays lost later.

Models (defaults calibrated to shared/docs/references.md)
----------------------------------------------------------
Impedance factor (encapsulation; |Z| relative to the day of implantation)::

    F(d) = 1 + A_acute (d / tau_acute) exp(1 - d / tau_acute) + A_chronic (1 - exp(-d / tau_chronic))

an acute rise peaking at ``tau_acute`` = 7 days, then a partial fall to ``1 + A_chronic``. With
``A_chronic`` = 0.5 (tau 30 days) and ``A_acute`` = 2.007, F(7) = 1.4 MΩ / 450 kΩ = 3.11 (Utah Pt
tips, Hughes et al. 2021); a per-channel log-normal spread ``sd_log`` = 0.2 is seeded.

The rise is the encapsulating tissue's: a sheath of glia, macrophages and extracellular matrix
around the site, in series with it, that impedance spectroscopy of chronic implants sees as an
added *resistance* (Williams et al. 2007; McConnell et al. 2009), not a larger double layer.
`electrode_models.encapsulation_resistance_ohm` gives the series resistance that raises the
site's |Z(1 kHz)| by F(d); being resistive, it adds its own Johnson noise, flat over the band
(Lempka et al. 2011: encapsulation raises the thermal noise). The site-to-site spread instead
scales the whole impedance.

Signal attenuation (glial sheath and lost cells near the site)::

    a(d) = a_inf + (1 - a_inf) exp(-d / tau_atten),   a_inf = 0.6, tau_atten = 60 days

("amplitude and noise fall together"; a 40 % amplitude loss over months is in the range of
Chestek et al. 2011; an assumption, not a fit).

Channel yield: ``Y(d) = 0.98 ** (d / 30)`` (≈ 2 % lost per 30 days, Utah arrays; Barrese et al.
2013). Channel c is alive while its seeded uniform ``u_c < Y(d)``, so dead channels stay dead.

Neuron loss near the shank: a kill zone of radius ``r(d) = r_max (1 - exp(-d / tau_kill))``
(r_max = 100 µm, tau 14 days) around the contacts, with survival ``1 - L`` inside, L = 0.4:
Biran et al. 2005 report ~40 % lower neuronal density within 100 µm of the shank at 2-4 weeks.
(Earlier versions lost every cell within 60 µm, which left a chronic Utah array with no
isolatable unit; L = 1 is still available through ``ChronicParams``.)

References
----------
Hughes C. L. et al. (2021) J Neural Eng 18, 045012.
Barrese J. C. et al. (2013) Failure mode analysis of silicon-based intracortical microelectrode
arrays in non-human primates. J Neural Eng 10, 066014.
Chestek C. A. et al. (2011) Long-term stability of neural prosthetic control signals from
silicon cortical arrays in rhesus macaque motor cortex. J Neural Eng 8, 045005.
Williams J. C. et al. (2007) Complex impedance spectroscopy for monitoring tissue responses to
inserted neural implants. J Neural Eng 4, 410-423.
McConnell G. C., Butera R. J., Bellamkonda R. V. (2009) Bioimpedance modeling to monitor astrocytic
response to chronically implanted electrodes. J Neural Eng 6, 055005.
Lempka S. F. et al. (2011) Theoretical analysis of intracortical microelectrode recordings.
J Neural Eng 8, 045006.
Biran R., Martin D. C., Tresco P. A. (2005) Neuronal cell loss accompanies the brain tissue
response to chronically implanted silicon microelectrode arrays. Exp Neurol 195, 115-126.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._validation import check_array, check_int, check_range

__all__ = ["ChronicParams", "ChronicState", "chronic_state", "cell_survival_mask",
           "impedance_factor", "channel_yield", "kill_zone_radius_um", "signal_attenuation"]


@dataclass(frozen=True)
class ChronicParams:
    """Parameters of the chronic models (see the module docstring; days, µm)."""

    acute_rise: float = 2.007
    acute_peak_days: float = 7.0
    chronic_rise: float = 0.5
    chronic_tau_days: float = 30.0
    impedance_sd_log: float = 0.2
    attenuation_final: float = 0.6
    attenuation_tau_days: float = 60.0
    yield_per_30_days: float = 0.98
    kill_radius_max_um: float = 100.0
    kill_tau_days: float = 14.0
    kill_loss_fraction: float = 0.4


@dataclass
class ChronicState:
    """Per-channel state at a given day.

    Attributes
    ----------
    attenuation : np.ndarray, shape (n_channels,), multiplies the neural signal, in (0, 1].
    alive : np.ndarray of bool, shape (n_channels,).
    impedance_spread : np.ndarray, shape (n_channels,), the channel's own |Z| factor (site-to-site
        spread, log-normal with mean 1; it scales the whole impedance, as a smaller or rougher
        site would).
    encapsulation_rise : float, F(d), the rise of |Z(1 kHz)| that encapsulation causes (>= 1);
        `electrode_models.encapsulation_resistance_ohm` turns it into the series resistance of
        the encapsulating tissue.
    """

    attenuation: np.ndarray
    alive: np.ndarray
    impedance_spread: np.ndarray
    encapsulation_rise: float

    @property
    def impedance_factor(self) -> np.ndarray:
        """Factor on each channel's |Z(1 kHz)|: ``encapsulation_rise * impedance_spread``."""
        return self.encapsulation_rise * self.impedance_spread


def _days(days_since_implant) -> float:
    return check_range("days_since_implant", days_since_implant, 0.0, 36500.0, "days")


def impedance_factor(days_since_implant: float, params: ChronicParams = ChronicParams()) -> float:
    """Mean |Z| factor F(d) relative to day 0 (dimensionless)."""
    d = _days(days_since_implant)
    x = d / params.acute_peak_days
    return (1.0 + params.acute_rise * x * math.exp(1.0 - x)
            + params.chronic_rise * (1.0 - math.exp(-d / params.chronic_tau_days)))


def signal_attenuation(days_since_implant: float, params: ChronicParams = ChronicParams()) -> float:
    """Signal amplitude factor a(d) in (0, 1]."""
    d = _days(days_since_implant)
    a = params.attenuation_final
    return a + (1.0 - a) * math.exp(-d / params.attenuation_tau_days)


def channel_yield(days_since_implant: float, params: ChronicParams = ChronicParams()) -> float:
    """Expected fraction of working channels Y(d) = yield_per_30_days ** (d / 30)."""
    return params.yield_per_30_days ** (_days(days_since_implant) / 30.0)


def kill_zone_radius_um(days_since_implant: float, params: ChronicParams = ChronicParams()) -> float:
    """Radius (µm) of the zone of neuron loss around the contacts."""
    d = _days(days_since_implant)
    return params.kill_radius_max_um * (1.0 - math.exp(-d / params.kill_tau_days))


def _seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= int(seed) < 2 ** 63:
        raise ValueError(f"seed must be an integer in [0, 2**63 - 1], got {seed!r}")
    return int(seed)


def chronic_state(days_since_implant: float, num_channels: int, seed: int,
                  params: ChronicParams = ChronicParams()) -> ChronicState:
    """Per-channel impedance factor, attenuation and alive mask at ``days_since_implant``.

    The per-channel draws depend only on (seed, channel), not on the day, so channel fates are
    consistent across days (a dead channel stays dead, a high-impedance one stays high).
    """
    n = check_int("num_channels", num_channels, 0, None)
    rng = np.random.default_rng([_seed(seed), 0xC4])
    u_dead = rng.random(n)
    z_log = rng.standard_normal(n)
    f = impedance_factor(days_since_implant, params)
    spread = np.exp(params.impedance_sd_log * z_log - 0.5 * params.impedance_sd_log ** 2)
    return ChronicState(attenuation=np.full(n, signal_attenuation(days_since_implant, params)),
                        alive=u_dead < channel_yield(days_since_implant, params),
                        impedance_spread=spread, encapsulation_rise=f)


def cell_survival_mask(distance_to_probe_um, days_since_implant: float, seed: int,
                       params: ChronicParams = ChronicParams()) -> np.ndarray:
    """Boolean mask (n_cells,) of cells alive given their distance (µm) to the nearest contact/shank.

    A cell inside the kill zone survives with probability ``1 - kill_loss_fraction``.
    """
    dist = check_array("distance_to_probe_um", distance_to_probe_um, ndim=1, dtype=float)
    if not np.all(np.isfinite(dist) & (dist >= 0)):
        raise ValueError("distance_to_probe_um must be finite and >= 0 µm")
    r = kill_zone_radius_um(days_since_implant, params)
    u = np.random.default_rng([_seed(seed), 0xCE11]).random(dist.size)
    return (dist >= r) | (u >= params.kill_loss_fraction)
