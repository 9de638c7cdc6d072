"""chip_models: the implant chip behind the electrodes, as numerical models.

The signal chain, one chunk of ``(num_samples, num_channels)`` at a time, state kept across
chunks so the result does not depend on the chunk size:

1. :class:`FrontEnd` -- causal Butterworth band-pass, gain and output saturation
   (input-referred µV in, amplifier output in mV out).
2. :class:`ADC` -- bipolar mid-tread quantiser (mV in, int16 codes out).
3. :class:`MADThresholdDetector` -- on-chip threshold crossings with a MAD-calibrated threshold
   and a dead time (codes in, ``(sample_index, channel)`` events out).
4. :mod:`~chip_models.datarate` -- bits per second for raw streaming versus events.
5. :mod:`~chip_models.power` -- power from amplifier NEF, ADC figure of merit, energy per
   digital operation and per radio bit, summarised as a :class:`PowerBudget`.

This package is a numerical library: arrays and floats in, arrays out. It does not import
``neurosim``, ``electrode_models``, h5py, Dask or PyVista.
"""

from .adc import ADC
from .datarate import event_bits, event_rate_bps, raw_rate_bps
from .detector import MADThresholdDetector
from .frontend import FrontEnd
from .power import (PowerBudget, adc_power_uW, amplifier_power_uW, chip_power,
                    digital_power_uW, radio_power_uW)

__all__ = [
    "ADC",
    "FrontEnd",
    "MADThresholdDetector",
    "PowerBudget",
    "adc_power_uW",
    "amplifier_power_uW",
    "chip_power",
    "digital_power_uW",
    "event_bits",
    "event_rate_bps",
    "radio_power_uW",
    "raw_rate_bps",
]
