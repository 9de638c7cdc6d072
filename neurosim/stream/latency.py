"""Latency from a spike in the tissue to a decoded output, per design.

The path and what each step costs (all in s):

==========================  ==========================================================================
``filter_group_delay_s``    group delay of the front end's band-pass at the geometric mean of its
                            corners (`chip_models.FrontEnd.group_delay_s`): how late a spike's
                            filtered waveform (and its threshold crossing) comes out
``framing_s``               waiting to be sent: events and raw samples wait for the end of their radio
                            frame (``chip.radio.frame_ms``, worst case one frame); binned counts and
                            spike-band power wait for the end of their bin (``chip.radio.bin_ms``)
``link_s``                  time on air of one frame: ``frame_bits / link_capacity_bps``, with
                            ``frame_bits`` the bits of one full frame (events: packets per frame ×
                            (header + payload) bits; raw: channels × bits × frame samples + a header
                            per packet; binned: channels × value bits per bin)
``decoder_bin_s``           the decoder's bin (a spike waits up to one bin before it is counted)
``decode_s``                the decoder's compute time per bin (measured or given)
==========================  ==========================================================================

``total_s`` is their sum: the worst-case latency of the implant and decoder. ``mean_s`` takes half
of each waiting time (framing, decoder bin), as for spikes uniformly spread in time. The twin's
own processing chunk (``stream_chunk_s``) is a simulation artefact and is reported apart.

Assumptions
-----------
- Frames are sent back to back, the FIFO holds no backlog (a full FIFO adds its queue time; the
  ``link`` stream reports its occupancy), no retransmissions.
- Propagation delay of the radio (ns over cm) and the ADC conversion time (one sample) are
  neglected.
"""

from __future__ import annotations

import math

import numpy as np

import chip_models as cm

__all__ = ["latency_budget", "latency_figure", "LATENCY_STEPS"]

#: The steps of `latency_budget` in path order.
LATENCY_STEPS = ("filter_group_delay_s", "framing_s", "link_s", "decoder_bin_s", "decode_s")


def _frame_bits(design, num_channels: int) -> tuple[float, float]:
    """``(frame_bits, framing_s)`` of the design's output mode."""
    radio, fs, bits = design.chip.radio, design.recording.fs_hz, design.chip.adc.bits
    mode = radio.output_mode
    packet = radio.header_bits + radio.payload_bits
    frame_samples = max(1, int(round(radio.frame_ms * 1e-3 * fs)))
    frame_s = frame_samples / fs
    if mode in ("events", "snippets"):
        per_event = cm.event_bits(num_channels, fs) if mode == "events" else \
            cm.snippet_bits(num_channels, fs, bits, radio.snippet_samples)
        link = cm.EventLink(num_channels, fs, radio.link_capacity_mbps * 1e6, payload_bits=radio.payload_bits,
                            header_bits=radio.header_bits, frame_s=frame_s, bits_per_event=per_event)
        return float(link.packets_per_frame * packet), frame_s
    if mode in ("raw", "compressed"):
        payload = num_channels * bits * frame_samples
        return float(payload + radio.header_bits * math.ceil(payload / radio.payload_bits)), frame_s
    bin_samples = max(1, int(round(radio.bin_ms * 1e-3 * fs)))
    value_bits = cm.count_bits(bin_samples, int(round(design.chip.detector.dead_time_ms * 1e-3 * fs))) \
        if mode == "binned_counts" else radio.sbp_bits
    payload = num_channels * value_bits
    return float(payload + radio.header_bits * math.ceil(payload / radio.payload_bits)), bin_samples / fs


def latency_budget(design, num_channels: int | None = None, *, decoder_bin_s: float = 0.05,
                   decode_s: float = 0.0, stream_chunk_s: float | None = None) -> dict:
    """Latency from spike to decoded output of ``design``, step by step, s.

    Parameters
    ----------
    design : neurosim.design.Design, dict or path
    num_channels : int, optional
        Channels of the implant (default: from the design's layout).
    decoder_bin_s : float, default 0.05
        The decoder's bin, s, in (0, 10].
    decode_s : float, default 0
        The decoder's compute time per bin, s, >= 0 (e.g. measured by the closed loop).
    stream_chunk_s : float, optional
        The twin's processing chunk, s (reported apart, not in the totals).

    Returns
    -------
    dict
        The steps of `LATENCY_STEPS`, ``total_s`` (worst case), ``mean_s``, ``frame_bits``,
        ``link_capacity_bps``, ``fits_link`` (the frame is on air for less than its own length)
        and ``stream_chunk_s``.
    """
    from neurosim.design import load_design
    from neurosim.electrodes import build_probe

    design = load_design(design)
    if not 0 < decoder_bin_s <= 10:
        raise ValueError(f"decoder_bin_s must be in (0, 10] s, got {decoder_bin_s!r}")
    if not decode_s >= 0:
        raise ValueError(f"decode_s must be >= 0 s, got {decode_s!r}")
    if num_channels is None:
        num_channels = len(build_probe(design).positions_um)
    fe = design.chip.front_end
    front_end = cm.FrontEnd(design.recording.fs_hz, int(num_channels), gain_v_per_v=fe.gain_v_per_v,
                            highpass_hz=fe.highpass_hz, lowpass_hz=fe.lowpass_hz,
                            filter_order=fe.filter_order, output_swing_mV=fe.output_swing_mV)
    capacity = design.chip.radio.link_capacity_mbps * 1e6
    frame_bits, framing_s = _frame_bits(design, int(num_channels))
    steps = {"filter_group_delay_s": front_end.group_delay_s(), "framing_s": framing_s,
             "link_s": frame_bits / capacity, "decoder_bin_s": float(decoder_bin_s),
             "decode_s": float(decode_s)}
    out = dict(steps)
    out["total_s"] = float(sum(steps.values()))
    out["mean_s"] = out["total_s"] - 0.5 * (framing_s + decoder_bin_s)
    out.update(frame_bits=frame_bits, link_capacity_bps=capacity, fits_link=bool(frame_bits / capacity <= framing_s),
               stream_chunk_s=float("nan") if stream_chunk_s is None else float(stream_chunk_s))
    return out


def latency_figure(budget: dict, path=None, title: str | None = None):
    """A horizontal stacked bar of the latency steps (ms), worst case; returns the figure.

    Parameters
    ----------
    budget : dict
        From `latency_budget` (or several: ``{label: budget}``, one bar each).
    path : path, optional
        Also save the figure there (PNG, SVG...).
    title : str, optional
    """
    import matplotlib.pyplot as plt

    budgets = budget if all(isinstance(v, dict) for v in budget.values()) else {"design": budget}
    fig, ax = plt.subplots(figsize=(9.0, 1.6 + 0.5 * len(budgets)))
    colours = plt.get_cmap("tab10")(np.arange(len(LATENCY_STEPS)))
    for row, (label, b) in enumerate(budgets.items()):
        left = 0.0
        for step, colour in zip(LATENCY_STEPS, colours):
            width = 1e3 * b[step]
            ax.barh(row, width, left=left, color=colour, label=step[:-2].replace("_", " ") if row == 0 else None)
            left += width
        ax.text(left, row, f"  {left:.1f} ms", va="center")
    ax.set_yticks(range(len(budgets)), list(budgets))
    ax.set_xlabel("latency from spike to decoded output, worst case (ms)")
    ax.set_xlim(0, 1.25e3 * max(b["total_s"] for b in budgets.values()))
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, frameon=False)
    ax.set_title(title or "latency budget")
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=120, bbox_inches="tight")
    return fig
