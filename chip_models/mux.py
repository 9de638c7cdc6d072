"""Multiplexed ADCs: each converter samples its channels one after another within a frame."""

from __future__ import annotations

import numpy as np

from ._validation import check_array, check_int, check_option, check_range

__all__ = ["MUX_SCHEMES", "MuxSkew", "mux_sample_offsets_s"]

#: Channel-to-ADC assignments of `mux_sample_offsets_s`.
MUX_SCHEMES = ("contiguous", "neuropixels")


def mux_sample_offsets_s(num_channels: int, fs_hz: float, channels_per_adc: int,
                         scheme: str = "contiguous") -> np.ndarray:
    r"""Sampling instant of every channel within the frame, in s.

    An ADC shared by ``m = channels_per_adc`` channels converts them in turn at ``m * fs``, so
    the channel in slot ``k`` (0..m-1) is sampled ``k / (m fs)`` after the frame starts.

    Schemes
    -------
    ``'contiguous'``
        Channel ``c`` is slot ``c mod m`` of ADC ``c // m``.
    ``'neuropixels'``
        Blocks of ``2m`` channels feed two ADCs, even channels one and odd channels the other,
        so channels ``2j`` and ``2j+1`` share a slot: ``k = (c mod 2m) // 2`` (Neuropixels 1.0:
        32 ADCs x 12 channels; 2.0: 24 x 16; as in SpikeInterface's
        ``get_neuropixels_sample_shifts``).

    Parameters
    ----------
    num_channels : int
    fs_hz : float
        Frame (per-channel sampling) rate in Hz.
    channels_per_adc : int
        In [1, 1024].
    scheme : {'contiguous', 'neuropixels'}

    Returns
    -------
    np.ndarray of float64, shape (num_channels,)
        Offsets in s, in ``[0, 1/fs)``.
    """
    n = check_int("num_channels", num_channels, 1, None)
    fs = check_range("fs_hz", fs_hz, 0.0, 1e6, "Hz", low_inclusive=False)
    m = check_int("channels_per_adc", channels_per_adc, 1, 1024)
    check_option("scheme", scheme, MUX_SCHEMES)
    c = np.arange(n)
    slot = c % m if scheme == "contiguous" else (c % (2 * m)) // 2
    return slot / (m * fs)


class MuxSkew:
    r"""Apply each channel's sampling offset to a frame-synchronous stream (fractional delay).

    Input ``x[n]`` is the signal at ``n T`` (``T = 1/fs``); channel ``c`` is really sampled at
    ``n T + τ_c``. With ``f_c = τ_c / T`` and one sample of latency (to stay causal), linear
    interpolation gives

    .. math:: y_c[n] = (1 - f_c)\, x_c[n-1] + f_c\, x_c[n] \approx x_c((n - 1 + f_c) T)

    exact for signals linear between samples. The last input sample of every channel is kept
    across chunks (zero before the stream).

    Parameters
    ----------
    fs_hz : float
    offsets_s : array_like, shape (num_channels,)
        Offsets in s, in ``[0, 1/fs)`` (e.g. `mux_sample_offsets_s`).

    Assumptions
    -----------
    - The input is band-limited well below fs/2 (true after the anti-alias filter), so linear
      interpolation error is small: for a sine of frequency f it is < (π f T)² / 2 relative.
    """

    def __init__(self, fs_hz: float, offsets_s):
        self.fs_hz = check_range("fs_hz", fs_hz, 0.0, 1e6, "Hz", low_inclusive=False)
        off = check_array("offsets_s", offsets_s, ndim=1, dtype=float)
        frac = off * self.fs_hz
        if off.size == 0 or not np.all((frac >= 0) & (frac < 1)):
            raise ValueError(f"offsets_s must be in [0, 1/fs_hz) = [0, {1 / self.fs_hz:g}) s, "
                             f"got values in [{off.min() if off.size else 'none'}, "
                             f"{off.max() if off.size else 'none'}]")
        self.offsets_s = off
        self.fraction = frac
        self.num_channels = off.size
        self.reset()

    def reset(self) -> None:
        """Forget the last sample (start of a new stream)."""
        self._last = np.zeros(self.num_channels)

    def process(self, x) -> np.ndarray:
        """Skewed samples of one chunk, float64, shape (num_samples, num_channels)."""
        arr = check_array("x", x, ndim=2, shape=(None, self.num_channels))
        if arr.dtype.kind not in "iuf":
            raise TypeError(f"x must be a real array, got dtype {arr.dtype}")
        xf = arr.astype(np.float64)
        prev = np.concatenate([self._last[None, :], xf[:-1]])
        if arr.shape[0]:
            self._last = xf[-1].copy()
        return (1.0 - self.fraction) * prev + self.fraction * xf
