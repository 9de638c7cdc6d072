"""Numba kernels of the telemetry link: FIFO, framing, packet loss (inputs trusted)."""

from __future__ import annotations

import numpy as np
from numba import njit

_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


@njit(cache=True)
def splitmix64(x):  # pragma: no cover - numba
    """SplitMix64 finaliser of ``x + gamma`` (Steele et al. 2014), uint64 -> uint64."""
    z = x + _GAMMA
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@njit(cache=True)
def uniform01(key, counter):  # pragma: no cover - numba
    """Uniform in [0, 1) as a pure function of (key, counter): 53 bits of SplitMix64."""
    z = splitmix64(key ^ (np.uint64(counter) * _GAMMA))
    return float(z >> np.uint64(11)) * (1.0 / 9007199254740992.0)


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
