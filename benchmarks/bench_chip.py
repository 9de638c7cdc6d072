"""Benchmark: chip stages on 1024 channels x 30 kHz, one 1 s chunk (after a warm-up call).

Times per second of recording for the front end (with and without amplifier noise), ADC,
each detector, spike-band power, the lossless codec and the telemetry link, and the achieved
compression ratio on the (noise + spikes) test signal.

Run: ``.venv/bin/python benchmarks/bench_chip.py [--channels 1024] [--fs-hz 30000]``
"""

from __future__ import annotations

import argparse
import logging
import time

import numpy as np

import chip_models as cm

logger = logging.getLogger("bench_chip")


def _time(fn, *args, repeat: int = 2) -> float:
    fn(*args)  # warm-up: JIT compile / cache load, first-touch of buffers
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(*args)
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--channels", type=int, default=1024)
    parser.add_argument("--fs-hz", type=float, default=30000.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    n, fs = args.channels, args.fs_hz
    rng = np.random.default_rng(0)
    x_uV = rng.normal(0.0, 8.0, size=(int(fs), n)).astype(np.float32)
    x_uV[::600] -= 120.0
    fe = cm.FrontEnd(fs, n)
    fe_noise = cm.FrontEnd(fs, n, input_noise=cm.AmplifierNoise(n, fs, 0.03, corner_hz=100.0))
    adc = cm.ADC(bits=10, fs_hz=fs)
    codes = adc.convert(fe.process(x_uV))
    rows = {
        "front end": _time(lambda: (fe.reset(), fe.process(x_uV))),
        "front end + 1/f noise": _time(lambda: (fe_noise.reset(), fe_noise.process(x_uV))),
        "ADC": _time(adc.convert, fe.process(x_uV)),
    }
    for kind, kw in [("mad_threshold", {}), ("mad_threshold", {"adaptive": True}),
                     ("rms_threshold", {}), ("neo", {}), ("sbp", {"bin_s": 0.02})]:
        det = cm.make_detector(kind, n, fs, **kw)
        rows[f"{kind}{' (adaptive)' if kw.get('adaptive') else ''}"] = _time(
            lambda d=det: (d.reset(), d.process(codes)))
    enc = cm.RiceEncoder(n, 10)
    rows["Rice encoder"] = _time(lambda: (enc.reset(), enc.encode(codes), enc.flush()))
    s, c = cm.make_detector("mad_threshold", n, fs, calibration_s=0.05).process(codes)
    link = cm.EventLink(n, fs, 1e6)
    rows["event link"] = _time(lambda: (link.reset(), link.process(s, c, codes.shape[0])))
    logger.info("%d channels x %.0f Hz, 1 s chunk (best of 2 after warm-up)", n, fs)
    for name, t in rows.items():
        logger.info("  %-26s %8.1f ms   %6.1f x real time", name, t * 1e3, 1.0 / t)
    logger.info("  compression ratio %.2f, events %d (%.0f/s/channel), link delivered %d",
                enc.ratio, s.size, s.size / n, int(link.delivered_by_channel.sum()))


if __name__ == "__main__":
    main()
