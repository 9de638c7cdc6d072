"""Figures of a design's report and of a sweep's trade-offs (matplotlib, headless)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["design_report_figure", "sweep_figure"]

_BLOCKS = ("amplifier", "adc", "digital", "radio")


def _pyplot():
    # no matplotlib.use(): a notebook keeps its inline backend, and without a display matplotlib
    # falls back to Agg by itself
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    _pyplot().close(fig)
    return path


def sweep_figure(rows: list[dict], varied: list[str], path) -> Path:
    """Trade-off plots of a sweep: power vs F1, data rate vs channels, power by block, F1 vs field."""
    plt = _pyplot()
    fig, ax = plt.subplots(2, 2, figsize=(12, 8.5))
    x_name = varied[0] if varied else "point"
    labels = [", ".join(f"{v.split('.')[-1]}={r.get(v)}" for v in varied) or str(r["point"]) for r in rows]
    power_mW = np.array([r["power_total_mW"] for r in rows], float)
    f1 = np.array([r["f1"] for r in rows], float)
    channels = np.array([r["num_channels"] for r in rows], float)

    a = ax[0, 0]
    a.scatter(power_mW, f1, c=np.arange(len(rows)), cmap="viridis", s=50)
    for xi, yi, lab in zip(power_mW, f1, labels):
        a.annotate(lab, (xi, yi), fontsize=7, xytext=(3, 3), textcoords="offset points")
    a.set_xlabel("chip power (mW)")
    a.set_ylabel("detection F1")
    a.set_title("power vs detection quality")

    a = ax[0, 1]
    order = np.argsort(channels, kind="stable")
    style = "o-" if len(np.unique(channels)) == len(channels) else "o"
    for key, lab in (("raw_rate_bps", "raw"), ("event_rate_bps", "events"), ("sent_rate_bps", "sent")):
        a.plot(channels[order], np.array([rows[i][key] for i in order], float) / 1e6, style, label=lab,
               alpha=0.8)
    a.plot(channels[order], np.array([rows[i]["link_capacity_bps"] for i in order], float) / 1e6, "k--",
           label="link capacity")
    a.set_xscale("log", base=2)
    a.set_yscale("log")
    a.set_xlabel("channels")
    a.set_ylabel("data rate (Mbit/s)")
    a.set_title("data rate vs channels")
    a.legend(fontsize=8)

    a = ax[1, 0]
    bottom = np.zeros(len(rows))
    for block in _BLOCKS:
        vals = np.array([r.get(f"power_{block}_uW", 0.0) for r in rows], float) / 1e3
        a.bar(np.arange(len(rows)), vals, bottom=bottom, label=block)
        bottom += vals
    a.set_xticks(np.arange(len(rows)), labels, rotation=30, ha="right", fontsize=7)
    a.set_ylabel("power (mW)")
    a.set_title("power by block")
    a.legend(fontsize=8)

    a = ax[1, 1]
    if len(np.unique(channels)) == len(rows) and any("layout" in v or "channels" in v for v in varied):
        x_name = "num_channels"  # a channel-count sweep reads best against channels
    xs = [r.get(x_name) for r in rows]
    numeric = all(isinstance(v, (int, float)) for v in xs)
    pos = np.asarray(xs, float) if numeric else np.arange(len(rows))
    style = "o-" if numeric and len(np.unique(pos)) == len(pos) else "o"
    for key, lab in (("precision", "precision"), ("recall", "recall"), ("f1", "F1")):
        a.plot(pos, [r[key] for r in rows], style, label=lab, alpha=0.8)
    if not numeric:
        a.set_xticks(pos, [str(v) for v in xs], rotation=30, ha="right", fontsize=7)
    a.set_xlabel(x_name)
    a.set_ylim(0, 1.02)
    a.set_title("detection quality")
    a.legend(fontsize=8)
    fig.tight_layout()
    return _save(fig, path)


def design_report_figure(result, path) -> Path:
    """One design's report: power by block, data rate per mode vs link, F1 per channel, SNR vs distance.

    Parameters
    ----------
    result : neurosim.pipeline.RunResult
    path : PNG file
    """
    plt = _pyplot()
    m = result.metrics
    fig, ax = plt.subplots(2, 2, figsize=(12, 8.5))
    a = ax[0, 0]
    a.bar(_BLOCKS, [m[f"power_{b}_uW"] for b in _BLOCKS], color="C0")
    a.set_ylabel("power (µW)")
    a.set_title(f"chip power {m['power_total_mW']:.3g} mW ({m['power_per_channel_uW']:.3g} µW/channel)")

    a = ax[0, 1]
    modes = {"raw": m["raw_rate_bps"], "events": m["event_rate_bps"]}
    a.bar(list(modes), np.array(list(modes.values())) / 1e6, color=["C1", "C2"])
    a.axhline(m["link_capacity_bps"] / 1e6, color="k", ls="--", label="link capacity")
    a.set_yscale("log")
    a.set_ylabel("data rate (Mbit/s)")
    a.set_title("data rate by output mode")
    a.legend(fontsize=8)

    a = ax[1, 0]
    from neurosim.electrodes import build_probe

    pos = build_probe(result.design).positions_um
    f1 = result.scores.channel_f1
    lateral = pos[:, 0] if np.ptp(pos[:, 0]) >= np.ptp(pos[:, 2]) else pos[:, 2]
    other = pos[:, 1] if np.ptp(pos[:, 1]) > 0 else pos[:, 2]
    sc = a.scatter(lateral, other, c=f1, cmap="viridis", vmin=0, vmax=1, s=40)
    fig.colorbar(sc, ax=a, label="detection F1")
    a.set_xlabel("contact position (µm)")
    a.set_ylabel("contact position (µm)")
    a.set_title(f"F1 per channel (overall {m['f1']:.3f})")
    a.set_aspect("equal", adjustable="datalim")

    a = ax[1, 1]
    act = result.activity
    best = result.scores.unit_best_channel
    ok = best >= 0
    d = np.linalg.norm(act.positions_um[ok] - pos[best[ok]], axis=1)
    rec = result.scores.unit_recall[ok]
    a.scatter(d, rec, s=6, c=np.where(act.cell_types[ok] == 0, "C3", "C0"), alpha=0.6)
    a.set_xlabel("distance of soma to its best contact (µm)")
    a.set_ylabel("unit recall on best channel")
    a.set_title("who gets detected (red pyramidal, blue interneuron)")
    fig.suptitle(f"{result.design.name}: {result.design.implant.layout}, {m['num_channels']} channels, "
                 f"{m['num_cells']} cells")
    fig.tight_layout()
    return _save(fig, path)
