"""Stimulation on command: an inlet of pulse requests, the safety model, the artefact path.

A controller for `neurosim.stream.stream` (closed-loop stimulation policies, or a person at a
keyboard): each command row is ``(contact, amplitude_uA, phase_width_us)`` (`COMMAND_COLUMNS`),
stamped with the stream time (s since the stream began) at which the sender wants the pulse.
Every command goes through the chip's stimulation-safety model before it reaches tissue:

- the pulse itself: `chip_models.BiphasicPulse` with the design's interphase gap, rate, site
  area and Shannon limit (``chip.stimulation``): a pulse above ``k_limit`` is refused;
- the contact must exist, and pulses on one contact must be at least ``1 / rate_hz`` apart (the
  rate the design allows); a command inside that interval is refused.

An accepted pulse is delivered at the sample nearest its requested time, or at the first sample
not yet processed when that time has passed (a pulse cannot reach the past). Its artefact
(`neurosim.chip_stage.artefact_peaks_uV`: peak ∝ current, 1/distance from the contact,
exponential decay ``chip.stimulation.artefact_tau_ms``) is added to the electrode signal as a
source of the chunk engine, and the detector is blanked for ``blanking_ms`` after it
(`neurosim.chip_stage.ChipChain.command_pulses`), as for the design's own pulse train.
The ``<prefix>_stimulation`` stream reports every command: the onset sample (-1 when refused),
Shannon's k, and 1 (delivered) or 0 (refused); `StimulationCommands.report` gives the reasons.
"""

from __future__ import annotations

import logging

import numpy as np

import chip_models as cm
from neurosim.chip_stage import artefact_peaks_uV
from neurosim.stream.outlets import QueueInlet, StreamSpec

__all__ = ["StimulationCommands", "COMMAND_COLUMNS", "STIMULATION_COLUMNS"]

logger = logging.getLogger(__name__)

#: Columns of a command row: contact index, phase current (µA), phase width (µs).
COMMAND_COLUMNS = ("contact", "amplitude_uA", "phase_width_us")
#: Columns of the published ``<prefix>_stimulation`` stream.
STIMULATION_COLUMNS = ("contact", "amplitude_uA", "phase_width_us", "onset_sample", "shannon_k", "delivered")
#: An artefact is dropped once it has decayed this many time constants (e^-20 ≈ 2e-9 of its peak).
_DECAY_TAUS = 20.0


class StimulationCommands:
    """Stimulation pulses on command for a live stream (module docstring).

    Parameters
    ----------
    inlet : Inlet, optional
        Where the commands come from (``pull() -> (rows (n, 3), times_s (n,))``); default a
        `neurosim.stream.outlets.QueueInlet` of 3 columns (``self.inlet.put(row, time_s)``).
        With ``external=True`` (an inlet of another program, e.g. `LSLInlet`, whose timestamps
        are on its own clock) every command is taken as "as soon as possible".
    external : bool, default False
    """

    def __init__(self, inlet=None, external: bool = False):
        self.inlet = inlet if inlet is not None else QueueInlet(len(COMMAND_COLUMNS))
        self.external = bool(external)
        self.prefix = "neurosim"
        self.delivered: list[tuple[int, int, float]] = []   # (onset sample, contact, amplitude µA)
        self.refused: list[tuple[tuple, str]] = []         # (command row, reason)
        self._active: list[tuple[int, np.ndarray]] = []    # (onset, peak per channel µV)
        self._last_onset: dict[int, int] = {}
        self._next_sample = 0

    def check_design(self, design) -> None:
        """Nothing to refuse before set-up: the design's ``chip.stimulation`` section holds the
        safety limits and the artefact model whether or not its periodic train is enabled."""

    def specs(self, prefix: str) -> list[StreamSpec]:
        self.prefix = prefix
        return [StreamSpec(f"{prefix}_stimulation", "Stimulation", STIMULATION_COLUMNS, 0.0, "float64", "")]

    def start(self, design, activity, publisher) -> None:
        """Called once by the stream before the first chunk."""
        self.stim, self.fs, self.chain = design.chip.stimulation, publisher.fs, publisher.chain
        self.num_channels = publisher.num_channels
        self.min_gap = int(np.ceil(self.fs / self.stim.rate_hz))

    def attach(self, positions_um: np.ndarray):
        """The artefact source for the chunk engine (added after the design's own sources)."""
        from neurosim.engine import FunctionSource

        self.positions_um = np.asarray(positions_um, float)
        return FunctionSource("stimulation_commands", self.add_artefact)

    def _check(self, row) -> tuple[float, str]:
        """Shannon's k of a command and the reason it is refused ('' when safe)."""
        contact, amp, width = (float(v) for v in row)
        if not (contact.is_integer() and 0 <= contact < self.num_channels):
            return float("nan"), f"contact must be an integer in [0, {self.num_channels - 1}], got {contact:g}"
        try:
            pulse = cm.BiphasicPulse(amp, width, self.stim.interphase_gap_us, self.stim.rate_hz,
                                     self.stim.site_area_um2, self.stim.k_limit)
        except ValueError as exc:
            k = (cm.shannon_k(amp * width * 1e-6, self.stim.site_area_um2 * 1e-8)
                 if amp > 0 and width > 0 else float("nan"))
            return k, str(exc)
        return pulse.shannon_k, ""

    def step(self, rows: dict, stop_s: float) -> dict:
        """Take the commands received so far; return the rows of the stimulation stream."""
        stop = int(round(stop_s * self.fs))
        self._next_sample = max(self._next_sample, stop)
        cmds, times = self.inlet.pull()
        out = []
        for row, t in zip(np.asarray(cmds, float).reshape(-1, len(COMMAND_COLUMNS)), np.asarray(times, float)):
            k, reason = self._check(row)
            onset = self._next_sample if self.external else max(int(round(t * self.fs)), self._next_sample)
            contact = int(row[0]) if not reason else -1
            if not reason and onset - self._last_onset.get(contact, -self.min_gap) < self.min_gap:
                reason = (f"pulses on contact {contact} must be at least 1/chip.stimulation.rate_hz = "
                          f"{1e3 / self.stim.rate_hz:g} ms apart, got {1e3 * (onset - self._last_onset[contact]) / self.fs:g} ms")
            if reason:
                self.refused.append((tuple(float(v) for v in row), reason))
                logger.warning("stimulation command %s refused: %s", self.refused[-1][0], reason)
                out.append((*row, -1.0, k, 0.0))
                continue
            self._last_onset[contact] = onset
            self._active.append((onset, artefact_peaks_uV(self.stim, self.positions_um, contact, row[1])))
            self.chain.command_pulses([onset])
            self.delivered.append((onset, contact, float(row[1])))
            out.append((*row, float(onset), k, 1.0))
        if not out:
            return {}
        data = np.asarray(out, float)
        return {f"{self.prefix}_stimulation": (data, np.full(len(data), stop_s))}

    def add_artefact(self, x_uV: np.ndarray, start: int) -> None:
        """Add the artefact of every delivered pulse to a chunk (µV, in place)."""
        n = len(x_uV)
        tau_s = self.stim.artefact_tau_ms * 1e-3
        horizon = int(_DECAY_TAUS * tau_s * self.fs)
        self._active = [(p, a) for p, a in self._active if p + horizon > start]
        for onset, peaks in self._active:
            if onset < start + n:
                x_uV += cm.stimulation_artefact_uV(start, n, self.fs, [onset], peaks, tau_s).astype(np.float32)

    def report(self) -> dict:
        """Pulses delivered and refused, with the reasons."""
        return {"delivered": len(self.delivered), "refused": len(self.refused),
                "refusals": [{"command": dict(zip(COMMAND_COLUMNS, r)), "reason": why} for r, why in self.refused]}
