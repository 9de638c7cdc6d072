"""EventLink: capacity, FIFO overflow by channel, packet loss from BER, chunk independence."""

import math

import numpy as np
import pytest

from chip_models import EventLink, event_bits, packet_loss_probability

FS_HZ = 1000.0  # 1 sample per ms: frames of 1 sample make the arithmetic readable


def _constant_load(num_frames, per_frame, num_channels):
    """``per_frame`` events in every 1-sample frame, on channels 0..per_frame-1."""
    s = np.repeat(np.arange(num_frames), per_frame)
    c = np.tile(np.arange(per_frame) % num_channels, num_frames)
    return s, c.astype(np.int32)


def test_capacity_arithmetic():
    # 16 channels x 1 kHz: event = 4 + 10 bits; payload 64 -> 4 events; packets 96 bits;
    # 1 Mbit/s x 1 ms = 1000 bits -> 10 packets per frame -> 40 events per frame
    link = EventLink(16, FS_HZ, 1e6, payload_bits=64, header_bits=32)
    assert link.bits_per_event == event_bits(16, FS_HZ) == 14
    assert (link.events_per_packet, link.packets_per_frame, link.events_per_frame) == (4, 10, 40)
    assert link.max_event_rate_hz == 40_000


def test_under_capacity_everything_delivered():
    link = EventLink(8, FS_HZ, 1e6, payload_bits=64, header_bits=32)  # 10 packets x 4 events
    s, c = _constant_load(500, 6, 8)
    r = link.process(s, c, 500)
    np.testing.assert_array_equal(r.delivered_sample, s)
    np.testing.assert_array_equal(r.delivered_channel, c)
    assert r.overflow_sample.size == 0 and r.corrupted_sample.size == 0
    # 6 events -> 2 packets per frame (second padded)
    assert link.packets_sent == 1000 and link.bits_sent == 1000 * 96
    assert link.sent_rate_bps() == pytest.approx(2 * 96 * 1000.0)


def test_overflow_closed_form_and_lost_channels():
    """a = 10 arrivals per frame, K = 4 sent, FIFO B = 6: frame 1 admits 6 (drops 4), later
    frames admit 4 (drop 6); the FIFO ends holding B - K = 2. Arrivals are admitted in channel
    order, so the dropped ones are the highest channels of each frame."""
    num_frames = 300
    link = EventLink(10, FS_HZ, 1e3 * 96 * 1 + 1e-6, payload_bits=64, header_bits=32,
                     buffer_events=6, bits_per_event=16)
    assert link.events_per_frame == 4
    s, c = _constant_load(num_frames, 10, 10)
    r = link.process(s, c, num_frames)
    assert r.delivered_sample.size == 4 * num_frames
    assert r.overflow_sample.size == 4 + 6 * (num_frames - 1)
    assert link.queued_events == 2
    expected_lost = np.zeros(10, int)
    expected_lost[6:] = num_frames          # channels 6-9 dropped in every frame
    expected_lost[4:6] = num_frames - 1     # channels 4, 5 dropped from frame 2 on
    np.testing.assert_array_equal(link.overflow_by_channel, expected_lost)
    np.testing.assert_array_equal(link.offered_by_channel, num_frames)
    assert (link.delivered_by_channel + link.overflow_by_channel).sum() + 2 == 10 * num_frames


def test_packet_loss_rate_matches_ber():
    """BER 1e-3 on 288-bit packets: p = 1 - (1 - 1e-3)^288 = 0.2503; over 20000 packets the
    lost fraction is within 5 binomial s.d. (0.0153)."""
    p = packet_loss_probability(1e-3, 288)
    assert p == pytest.approx(1 - (1 - 1e-3) ** 288, rel=1e-12)
    link = EventLink(4, FS_HZ, 1e6, payload_bits=256, header_bits=32, bit_error_rate=1e-3,
                     bits_per_event=256, seed=5)
    s, c = _constant_load(20000, 1, 4)
    r = link.process(s, c, 20000)
    frac = r.corrupted_sample.size / 20000
    assert abs(frac - p) < 5 * math.sqrt(p * (1 - p) / 20000)
    assert r.corrupted_sample.size + r.delivered_sample.size == 20000
    other = EventLink(4, FS_HZ, 1e6, payload_bits=256, header_bits=32, bit_error_rate=1e-3,
                      bits_per_event=256, seed=6)
    assert not np.array_equal(other.process(s, c, 20000).corrupted_sample, r.corrupted_sample)


def test_chunked_equals_one_shot():
    rng = np.random.default_rng(1)
    n = 5000
    s = np.sort(rng.integers(0, n, 30000))
    c = rng.integers(0, 8, s.size).astype(np.int32)
    kw = dict(payload_bits=64, header_bits=32, bit_error_rate=1e-3, buffer_events=20, seed=3)
    one = EventLink(8, FS_HZ, 1e5, **kw)
    r1 = one.process(s, c, n)
    two = EventLink(8, FS_HZ, 1e5, **kw)
    parts = []
    for a in range(0, n, 777):
        m = (s >= a) & (s < a + 777)
        parts.append(two.process(s[m], c[m], min(777, n - a)))
    for field in ("delivered_sample", "overflow_channel", "corrupted_sample"):
        np.testing.assert_array_equal(np.concatenate([getattr(p, field) for p in parts]),
                                      getattr(r1, field))
    assert r1.overflow_sample.size > 0 and r1.corrupted_sample.size > 0
    np.testing.assert_array_equal(one.overflow_by_channel, two.overflow_by_channel)


@pytest.mark.parametrize("call, exc, match", [
    (lambda: EventLink(4, FS_HZ, 0.0), ValueError, r"capacity_bps must be in \(0, inf\] bit/s"),
    (lambda: EventLink(4, FS_HZ, 1e6, payload_bits=8), ValueError,
     r"payload_bits must hold at least one event of 12 bits, got 8"),
    (lambda: EventLink(4, FS_HZ, 1e6, buffer_events=0), ValueError,
     r"buffer_events must be in \[1, inf\]"),
    (lambda: EventLink(4, FS_HZ, 1e6, frame_s=1e-4), ValueError,
     r"frame_s \* fs_hz must give at least 1 sample"),
    (lambda: EventLink(4, FS_HZ, 1e6, bit_error_rate=2.0), ValueError,
     r"bit_error_rate must be in \[0, 1\]"),
    (lambda: EventLink(4, FS_HZ, 1e6).process([5, 3], [0, 0], 10), ValueError,
     r"sample_index must be sorted and within \[0, 10\)"),
    (lambda: EventLink(4, FS_HZ, 1e6).process([5], [4], 10), ValueError,
     r"channel must be in \[0, 3\]"),
    (lambda: packet_loss_probability(1e-3, 0), ValueError, r"packet_bits must be in \[1, inf\]"),
])
def test_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
