"""Numba kernels of the telemetry link: FIFO, framing, packet loss (inputs trusted)."""

from __future__ import annotations

from numba import njit

# The one counter-based generator of the numerical packages (the only electrode_models module
# chip_models may import: tests/test_architecture.py).
from electrode_models._counter_rng import uniform53, xor_hash


@njit(cache=True)
def uniform01(key, counter):  # pragma: no cover - numba
    """Uniform in [0, 1) as a pure function of (key, counter): 53 bits of
    ``splitmix64(key ^ (counter * GAMMA))``."""
    return uniform53(xor_hash(key, counter))


@njit(cache=True)
def _close_frame(q_s, q_c, state, events_per_frame, events_per_packet, p_loss, key,
                 out_s, out_c, out_kind, n_out):  # pragma: no cover - numba
    # state: [head, size, frame, packets, capacity]
    head, size, cap = state[0], state[1], state[4]
    n_send = min(events_per_frame, size)
    sent = 0
    while sent < n_send:
        lost = p_loss > 0.0 and uniform01(key, state[3]) < p_loss
        state[3] += 1
        m = min(events_per_packet, n_send - sent)
        for _ in range(m):
            out_s[n_out] = q_s[head]
            out_c[n_out] = q_c[head]
            out_kind[n_out] = 2 if lost else 0
            n_out += 1
            head = (head + 1) % cap
        sent += m
    state[0] = head
    state[1] = size - n_send
    state[2] += 1
    return n_out


@njit(cache=True)
def link_process(samples, channels, end_sample, frame_samples, q_s, q_c, state,
                 events_per_frame, events_per_packet, p_loss, key, out_s, out_c,
                 out_kind):  # pragma: no cover - numba
    """Run events (sorted by sample) through the FIFO and the framed link up to ``end_sample``.

    Frame f covers samples [f F, (f+1) F); its arrivals join the FIFO (capacity ``state[4]``,
    tail drop when full) and at its end up to ``events_per_frame`` events leave in packets of
    ``events_per_packet``; each packet is lost with probability ``p_loss`` (counter-based draw
    keyed by the packet's global index). Every event that leaves or is dropped is written to
    ``out_*`` with kind 0 delivered, 1 dropped by overflow, 2 lost to bit errors. Returns the
    number written.
    """
    n_out = 0
    cap = state[4]
    for i in range(samples.size):
        t = samples[i]
        while t >= (state[2] + 1) * frame_samples:
            n_out = _close_frame(q_s, q_c, state, events_per_frame, events_per_packet, p_loss,
                                 key, out_s, out_c, out_kind, n_out)
        if state[1] < cap:
            tail = (state[0] + state[1]) % cap
            q_s[tail] = t
            q_c[tail] = channels[i]
            state[1] += 1
        else:
            out_s[n_out] = t
            out_c[n_out] = channels[i]
            out_kind[n_out] = 1
            n_out += 1
    while (state[2] + 1) * frame_samples <= end_sample:
        n_out = _close_frame(q_s, q_c, state, events_per_frame, events_per_packet, p_loss, key,
                             out_s, out_c, out_kind, n_out)
    return n_out
