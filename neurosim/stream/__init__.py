"""The live twin: the implant streams what its chip sends, paced to wall-clock time.

- `stream` (`neurosim.stream.live`): set the twin up once, drive the chunk engine in real time,
  publish the chip's output, ground truth and behaviour on one clock, report whether it kept up;
- outlets and inlets (`neurosim.stream.outlets`): in memory, or Lab Streaming Layer (pylsl);
- `latency_budget`, `latency_figure` (`neurosim.stream.latency`): spike-to-decoded-output latency;
- `ClosedLoop`, `closed_loop_example` (`neurosim.stream.closed_loop`): the Kalman decoder drives
  the cursor of the reaching task;
- `StimulationCommands` (`neurosim.stream.stimulation`): pulses on command, through the
  stimulation-safety model (Shannon k, rate) and the artefact and blanking path.

See ``docs/streaming.md``.
"""

from neurosim.stream.closed_loop import ClosedLoop, CursorTask, OnlineKalman, closed_loop_example, motor_design
from neurosim.stream.content import EventBinner
from neurosim.stream.latency import latency_budget, latency_figure
from neurosim.stream.live import StreamReport, stream
from neurosim.stream.outlets import LSLInlet, LSLOutlet, MemoryOutlet, QueueInlet, StreamSpec, make_outlet
from neurosim.stream.stimulation import StimulationCommands

__all__ = ["stream", "StreamReport", "MemoryOutlet", "LSLOutlet", "QueueInlet", "LSLInlet", "StreamSpec",
           "make_outlet", "EventBinner", "latency_budget", "latency_figure", "ClosedLoop", "CursorTask",
           "OnlineKalman", "closed_loop_example", "motor_design", "StimulationCommands"]
