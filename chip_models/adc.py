"""Analog-to-digital converter: bipolar mid-tread uniform quantiser."""

from __future__ import annotations

import numpy as np

from . import _kernels
from ._validation import check_array, check_int, check_range
from .mux import mux_sample_offsets_s


class ADC:
    r"""Bipolar mid-tread uniform quantiser over +/- ``full_scale_mV``.

    .. math::

        \mathrm{LSB} = \frac{2 V_\mathrm{FS}}{2^{b}}, \qquad
        c[n] = \mathrm{clip}\left(\mathrm{round}\left(\frac{y[n]}{\mathrm{LSB}}\right),
        -2^{b-1}, \; 2^{b-1} - 1\right)

    Zero is a code (mid-tread). Inside ``[-full_scale_mV, full_scale_mV - LSB/2]`` the
    quantisation error ``|c * LSB - y|`` is at most LSB/2; beyond it the codes stick to the rails.
    The converter is memoryless, so chunking never changes its output.

    Parameters
    ----------
    bits : int, default 10
        Resolution in bits, in [1, 16] (codes are stored as int16).
    full_scale_mV : float, default 1000.0
        Half the input span in mV (input range +/- full_scale_mV), in (0, 1e5].
    fs_hz : float, default 30000.0
        Conversion rate in Hz, in (0, 1e6] (used by the power and data-rate models).
    channels_per_adc : int, default 1
        Channels multiplexed onto one converter, in [1, 1024] (Neuropixels 1.0: 12, 2.0: 16);
        sets the sampling skew (`sample_offsets_s`).
    mux_scheme : {'contiguous', 'neuropixels'}, default 'contiguous'
        Channel-to-slot assignment, see `chip_models.mux_sample_offsets_s`.

    Assumptions
    -----------
    - Ideal uniform quantiser: no DNL/INL, no thermal noise, no aperture jitter; the effective
      number of bits equals ``bits``.
    - Rounding is to nearest with ties to even (``numpy.rint``).

    References
    ----------
    Walden (1999), IEEE JSAC 17(4): analog-to-digital converter survey and analysis.
    """

    def __init__(self, bits: int = 10, full_scale_mV: float = 1000.0, fs_hz: float = 30000.0,
                 channels_per_adc: int = 1, mux_scheme: str = "contiguous"):
        self.bits = check_int("bits", bits, 1, 16)
        self.full_scale_mV = check_range("full_scale_mV", full_scale_mV, 0.0, 1e5, "mV",
                                         low_inclusive=False)
        self.fs_hz = check_range("fs_hz", fs_hz, 0.0, 1e6, "Hz", low_inclusive=False)
        self.channels_per_adc = check_int("channels_per_adc", channels_per_adc, 1, 1024)
        self.mux_scheme = mux_scheme
        mux_sample_offsets_s(1, self.fs_hz, self.channels_per_adc, mux_scheme)  # validates

    def sample_offsets_s(self, num_channels: int) -> np.ndarray:
        """Sampling instant of each channel within the frame in s, shape (num_channels,):
        slot / (channels_per_adc * fs_hz), see `chip_models.mux_sample_offsets_s`."""
        return mux_sample_offsets_s(num_channels, self.fs_hz, self.channels_per_adc,
                                    self.mux_scheme)

    @property
    def conversion_rate_hz(self) -> float:
        """Rate of one converter in conversions/s: ``channels_per_adc * fs_hz``."""
        return self.channels_per_adc * self.fs_hz

    @property
    def lsb_mV(self) -> float:
        """Quantisation step in mV: ``2 * full_scale_mV / 2**bits``."""
        return 2.0 * self.full_scale_mV / 2 ** self.bits

    @property
    def code_min(self) -> int:
        """Lowest code, ``-2**(bits-1)``."""
        return -(2 ** (self.bits - 1))

    @property
    def code_max(self) -> int:
        """Highest code, ``2**(bits-1) - 1``."""
        return 2 ** (self.bits - 1) - 1

    def convert(self, y_mV, out: np.ndarray | None = None) -> np.ndarray:
        """Quantise an analog voltage.

        Parameters
        ----------
        y_mV : array_like
            Input voltage in mV (any shape, e.g. (num_samples, num_channels)), no NaN.
        out : np.ndarray of int16, same shape, C-contiguous, optional
            Where to write the codes (a buffer reused from chunk to chunk); on an error its
            content is undefined.

        Returns
        -------
        np.ndarray of int16, same shape
            Codes in ``[code_min, code_max]`` (``out`` when given).
        """
        y = check_array("y_mV", y_mV)
        if y.dtype.kind not in "iuf":
            raise TypeError(f"y_mV must be a real array (mV), got dtype {y.dtype}")
        if out is None:
            codes = np.empty(y.shape, dtype=np.int16)
        elif not isinstance(out, np.ndarray) or out.dtype != np.int16 or out.shape != y.shape \
                or not out.flags.c_contiguous or not out.flags.writeable:
            raise ValueError(f"out must be a writeable C-contiguous int16 array of shape {y.shape}, "
                             f"got {type(out).__name__} {getattr(out, 'dtype', None)} "
                             f"{getattr(out, 'shape', None)}")
        else:
            codes = out
        if _kernels.quantise(np.ascontiguousarray(y).reshape(-1), self.lsb_mV, self.bits,
                             codes.reshape(-1)):
            raise ValueError("y_mV must not contain NaN (mV)")
        return codes

    def to_mV(self, codes) -> np.ndarray:
        """Reconstruct voltages from codes: ``codes * lsb_mV``, float64 in mV."""
        c = check_array("codes", codes)
        if c.dtype.kind not in "iu":
            raise TypeError(f"codes must be an integer array, got dtype {c.dtype}")
        return c.astype(np.float64) * self.lsb_mV
