"""Chip power: amplifier (NEF), ADC (Walden FoM), digital logic and radio."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from . import _kernels
from ._validation import check_int, check_range


def amplifier_power_uW(nef: float, noise_uV_rms: float, bandwidth_hz: float,
                       supply_V: float = 1.2, temperature_K: float = 310.0) -> float:
    r"""Power of one amplifier channel from its noise efficiency factor, in µW.

    The NEF (Steyaert & Sansen 1987) compares an amplifier with a single ideal bipolar transistor
    drawing the same total current:

    .. math::

        \mathrm{NEF} = V_\mathrm{ni,rms} \sqrt{\frac{2 I_\mathrm{tot}}{\pi U_T 4kT \,\mathrm{BW}}}
        \;\Rightarrow\;
        I_\mathrm{tot} = \left(\frac{\mathrm{NEF}}{V_\mathrm{ni,rms}}\right)^2
        \frac{\pi U_T 4kT \,\mathrm{BW}}{2}, \qquad P = I_\mathrm{tot} V_\mathrm{supply}

    with `U_T = kT/q`.

    Parameters
    ----------
    nef : float
        Noise efficiency factor (dimensionless), in (0, 100]; good designs 2-3.
    noise_uV_rms : float
        Input-referred noise in µV rms over ``bandwidth_hz``, in (0, 1e4].
    bandwidth_hz : float
        Noise bandwidth in Hz, in (0, 1e7].
    supply_V : float, default 1.2
        Supply voltage in V, in (0, 10].
    temperature_K : float, default 310.0
        Temperature in K, in (0, 1000].

    Returns
    -------
    float
        Power in µW.

    Examples
    --------
    NEF 2, 3 µV rms over 10 kHz at 310 K: kT = 4.2800e-21 J, U_T = 26.714 mV,
    4kT = 1.7120e-20 J, pi U_T 4kT BW / 2 = 7.1838e-18 V·J/s,
    I = (2 / 3e-6)^2 * 7.1838e-18 = 4.4444e11 * 7.1838e-18 = 3.1928e-6 A = 3.193 µA;
    at 1.2 V, P = 3.831 µW.

    >>> round(amplifier_power_uW(2.0, 3.0, 1e4), 3)
    3.831

    Assumptions
    -----------
    - The NEF holds over the given bandwidth (white-noise dominated; 1/f noise folded into NEF).
    - All supply current is drawn from one rail at ``supply_V`` (no separate bias circuits).

    References
    ----------
    Steyaert & Sansen (1987), IEEE JSSC 22(6); Harrison & Charles (2003), IEEE JSSC 38(6).
    """
    nef = check_range("nef", nef, 0.0, 100.0, low_inclusive=False)
    noise = check_range("noise_uV_rms", noise_uV_rms, 0.0, 1e4, "µV rms", low_inclusive=False)
    bw = check_range("bandwidth_hz", bandwidth_hz, 0.0, 1e7, "Hz", low_inclusive=False)
    vdd = check_range("supply_V", supply_V, 0.0, 10.0, "V", low_inclusive=False)
    temp = check_range("temperature_K", temperature_K, 0.0, 1000.0, "K", low_inclusive=False)
    current_A = _kernels.amplifier_current_A(nef, noise * 1e-6, bw, temp)
    return current_A * vdd * 1e6


def adc_power_uW(fom_fJ_per_step: float, bits: int, fs_hz: float) -> float:
    r"""Power of one ADC channel from the Walden figure of merit, in µW.

    .. math:: P = \mathrm{FoM} \cdot 2^{\mathrm{ENOB}} \cdot f_s

    with ENOB taken equal to ``bits`` (ideal converter). A converter shared by ``m`` channels at
    ``m * fs_hz`` costs the same per channel under this law.

    Parameters
    ----------
    fom_fJ_per_step : float
        Walden figure of merit in fJ per conversion step, in (0, 1e6]; low-rate SAR median
        ~24, best ~0.35.
    bits : int
        Resolution (taken as ENOB), in [1, 32].
    fs_hz : float
        Conversion rate per channel in Hz, in (0, 1e9].

    Examples
    --------
    10 bit, 20 kS/s, 25 fJ/step: 25e-15 * 1024 * 2e4 W = 0.512 µW.

    References
    ----------
    Walden (1999), IEEE JSAC 17(4); Murmann, ADC Performance Survey 1997-2024.
    """
    fom = check_range("fom_fJ_per_step", fom_fJ_per_step, 0.0, 1e6, "fJ/step",
                      low_inclusive=False)
    b = check_int("bits", bits, 1, 32)
    fs = check_range("fs_hz", fs_hz, 0.0, 1e9, "Hz", low_inclusive=False)
    return _kernels.walden_power_W(fom * 1e-15, b, fs) * 1e6


def digital_power_uW(ops_per_sample: float, fs_hz: float, energy_pJ_per_op: float) -> float:
    """Dynamic power of per-channel digital logic, in µW: ``ops_per_sample * fs_hz * E_op``.

    Parameters
    ----------
    ops_per_sample : float
        Operations per sample per channel, >= 0.
    fs_hz : float
        Sampling rate in Hz, in (0, 1e9].
    energy_pJ_per_op : float
        Energy per operation in pJ, >= 0.
    """
    ops = check_range("ops_per_sample", ops_per_sample, 0.0, None, "ops/sample")
    fs = check_range("fs_hz", fs_hz, 0.0, 1e9, "Hz", low_inclusive=False)
    e = check_range("energy_pJ_per_op", energy_pJ_per_op, 0.0, None, "pJ/op")
    return ops * fs * e * 1e-12 * 1e6


def radio_power_uW(bit_rate_bps: float, energy_pJ_per_bit: float) -> float:
    """Radio power in µW: ``bit_rate_bps * E_bit`` (e.g. IR-UWB ~5.8 pJ/bit).

    Parameters
    ----------
    bit_rate_bps : float
        Transmitted bit rate in bit/s, >= 0.
    energy_pJ_per_bit : float
        Energy per transmitted bit in pJ, >= 0.
    """
    rate = check_range("bit_rate_bps", bit_rate_bps, 0.0, None, "bit/s")
    e = check_range("energy_pJ_per_bit", energy_pJ_per_bit, 0.0, None, "pJ/bit")
    return rate * e * 1e-12 * 1e6


def clock_power_uW(clock_hz: float, energy_pJ_per_cycle: float) -> float:
    """Clock tree and sequencing power in µW: ``clock_hz * E_cycle`` (``E = C_eff V^2``).

    Parameters
    ----------
    clock_hz : float
        Clock frequency in Hz, >= 0.
    energy_pJ_per_cycle : float
        Switched energy of the clock network per cycle in pJ, >= 0.
    """
    f = check_range("clock_hz", clock_hz, 0.0, None, "Hz")
    e = check_range("energy_pJ_per_cycle", energy_pJ_per_cycle, 0.0, None, "pJ/cycle")
    return f * e * 1e-12 * 1e6


#: Power density considered safe for tissue in contact with an implant, mW/cm² (Wolf 2008).
POWER_DENSITY_LIMIT_MW_PER_CM2 = 40.0


def power_density_mW_per_cm2(power_mW: float, area_mm2: float) -> float:
    """Power density in mW/cm²: ``power_mW / (area_mm2 * 1e-2)`` (1 cm² = 100 mm²).

    Compare with `POWER_DENSITY_LIMIT_MW_PER_CM2` (~40 mW/cm², Wolf 2008).

    Examples
    --------
    6 mW over a 4 x 4 mm chip: 6 / 0.16 = 37.5 mW/cm².
    """
    p = check_range("power_mW", power_mW, 0.0, None, "mW")
    a = check_range("area_mm2", area_mm2, 0.0, None, "mm²", low_inclusive=False)
    return p / (a * 1e-2)


@dataclass(frozen=True)
class PowerBudget:
    """Power of the whole chip by block, in µW (chip totals, not per channel).

    Attributes
    ----------
    amplifier_uW, adc_uW, digital_uW, radio_uW : float
        Chip total of each block in µW.
    num_channels : int
        Channels on the chip.
    static_uW : float, default 0.0
        Static (leakage, bias, references) power of the chip in µW.
    clock_uW : float, default 0.0
        Clock tree power in µW.
    """

    amplifier_uW: float
    adc_uW: float
    digital_uW: float
    radio_uW: float
    num_channels: int
    static_uW: float = 0.0
    clock_uW: float = 0.0

    @property
    def total_uW(self) -> float:
        """Sum of all blocks in µW."""
        return (self.amplifier_uW + self.adc_uW + self.digital_uW + self.radio_uW
                + self.static_uW + self.clock_uW)

    def density_mW_per_cm2(self, area_mm2: float) -> float:
        """Total power over ``area_mm2`` (mm²) in mW/cm²."""
        return power_density_mW_per_cm2(self.total_mW, area_mm2)

    @property
    def total_mW(self) -> float:
        """Sum of all blocks in mW."""
        return self.total_uW * 1e-3

    @property
    def per_channel_uW(self) -> float:
        """Total in µW divided by the number of channels."""
        return self.total_uW / self.num_channels

    def as_dict(self) -> dict:
        """Fields plus ``total_uW``, ``total_mW`` and ``per_channel_uW``."""
        d = asdict(self)
        d.update(total_uW=self.total_uW, total_mW=self.total_mW,
                 per_channel_uW=self.per_channel_uW)
        return d


def chip_power(num_channels: int, fs_hz: float, bits: int, nef: float, noise_uV_rms: float,
               bandwidth_hz: float, adc_fom_fJ_per_step: float, detector_ops_per_sample: float,
               energy_pJ_per_op: float, radio_bit_rate_bps: float,
               radio_energy_pJ_per_bit: float, supply_V: float = 1.2, *,
               extra_ops_per_sample: float = 0.0, static_uW: float = 0.0,
               clock_hz: float = 0.0, clock_energy_pJ_per_cycle: float = 0.0) -> PowerBudget:
    """Power budget of a chip with ``num_channels`` identical channels and one radio.

    ``amplifier = N * amplifier_power_uW``, ``adc = N * adc_power_uW``,
    ``digital = N * digital_power_uW(detector_ops + extra_ops)``, ``radio = radio_power_uW``
    (chip total link, pass the bit rate including packet overhead), ``static = static_uW``,
    ``clock = clock_power_uW``. See the block functions for parameters, units and assumptions.

    Parameters
    ----------
    extra_ops_per_sample : float, default 0.0
        Further digital operations per sample per channel (e.g. compression, SBP), >= 0.
    static_uW : float, default 0.0
        Static power of the chip in µW, >= 0.
    clock_hz, clock_energy_pJ_per_cycle : float, default 0.0
        Clock frequency in Hz and energy per clock cycle in pJ.
    """
    n = check_int("num_channels", num_channels, 1, None)
    amp = amplifier_power_uW(nef, noise_uV_rms, bandwidth_hz, supply_V)
    adc = adc_power_uW(adc_fom_fJ_per_step, bits, fs_hz)
    extra = check_range("extra_ops_per_sample", extra_ops_per_sample, 0.0, None, "ops/sample")
    dig = digital_power_uW(float(detector_ops_per_sample) + extra, fs_hz, energy_pJ_per_op)
    radio = radio_power_uW(radio_bit_rate_bps, radio_energy_pJ_per_bit)
    static = check_range("static_uW", static_uW, 0.0, None, "µW")
    clock = clock_power_uW(clock_hz, clock_energy_pJ_per_cycle)
    return PowerBudget(amplifier_uW=n * amp, adc_uW=n * adc, digital_uW=n * dig,
                       radio_uW=radio, num_channels=n, static_uW=static, clock_uW=clock)
