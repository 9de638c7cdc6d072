"""Detection scoring against hand-built cases with known answers."""

import numpy as np
import pytest

from neurosim.metrics import f1_score, match_events, score_detection


def test_match_events_tolerance_and_one_to_one():
    truth = np.array([100, 200, 300, 400])
    dets = np.array([103, 196, 199, 350, 412])
    mt, md = match_events(truth, dets, tolerance_samples=5)
    assert mt.tolist() == [True, True, False, False]
    # 196 takes 200 (earliest first); 199 finds no free true spike; 350, 412 are too far
    assert md.tolist() == [True, True, False, False, False]


def test_match_is_maximum_on_crowded_interval():
    # greedy earliest-first must pair all three although windows overlap
    truth = np.array([10, 12, 14])
    dets = np.array([9, 13, 15])
    mt, md = match_events(truth, dets, 2)
    assert mt.all() and md.all()


def test_match_order_independent():
    rng = np.random.default_rng(0)
    truth = np.sort(rng.choice(100000, 300, replace=False))
    kept = truth[rng.random(300) < 0.7]
    dets = kept + rng.integers(-3, 4, kept.size)
    perm = rng.permutation(dets.size)
    mt, md = match_events(truth, dets, 3)
    mt2, md2 = match_events(truth, dets[perm], 3)
    # every detection lies within tolerance of its own spike, so a perfect matching exists
    assert md.sum() == md2.sum() == kept.size
    assert md2.tolist() == md[perm].tolist()


def test_f1():
    assert f1_score(1.0, 0.5) == pytest.approx(2 / 3)
    assert f1_score(0.0, 0.0) == 0.0
    assert np.isnan(f1_score(np.nan, 0.5))


def test_score_detection_known_counts():
    # two units: unit 0 visible on channel 0 (amp 100 > thr 50), unit 1 below threshold on channel 0
    unit_channels = np.array([[0, -1], [0, 1]])
    amps = np.array([[-100.0, 0.0], [-20.0, -80.0]])
    thr = np.array([50.0, 50.0])
    spikes = np.array([100, 300, 500, 700, 200, 600])
    units = np.array([0, 0, 0, 0, 1, 1])
    det_s = np.array([101, 299, 505, 900, 201, 601])
    det_c = np.array([0, 0, 0, 0, 1, 1])
    sc = score_detection(spikes, units, det_s, det_c, unit_channels, amps, thr, tolerance_samples=3)
    # channel 0: truth = unit 0 spikes (4); dets 101, 299 match; 505 (off by 5) and 900 do not
    assert sc.channel_num_true.tolist() == [4, 2]
    assert sc.channel_precision[0] == pytest.approx(2 / 4)
    assert sc.channel_recall[0] == pytest.approx(2 / 4)
    assert sc.channel_precision[1] == 1.0 and sc.channel_recall[1] == 1.0
    assert sc.precision == pytest.approx(4 / 6) and sc.recall == pytest.approx(4 / 6)
    assert sc.unit_best_channel.tolist() == [0, 1]
    assert sc.unit_recall.tolist() == [0.5, 1.0]
    assert sc.unit_precision.tolist() == [0.5, 1.0]  # precision of each unit's best channel
    assert sc.unit_f1.tolist() == [0.5, 1.0]
    assert sc.unit_detectable.tolist() == [True, True]


def test_present_but_subthreshold_units_justify_detections_only():
    # unit 1 reaches 60 % of threshold on channel 0: its detected spike is a true detection
    # (precision) but its spikes are not expected (recall denominator)
    uc = np.array([[0], [0]])
    amps = np.array([[-100.0], [-30.0]])
    thr = np.array([50.0])
    spikes, units = np.array([100, 500, 300]), np.array([0, 0, 1])
    sc = score_detection(spikes, units, [100, 300], [0, 0], uc, amps, thr, 2)
    assert sc.channel_num_true[0] == 2
    assert sc.channel_precision[0] == 1.0 and sc.channel_recall[0] == 0.5
    sc = score_detection(spikes, units, [100, 300], [0, 0], uc, amps, thr, 2, present_fraction=1.0)
    assert sc.channel_precision[0] == 0.5


def test_score_window_excludes_calibration():
    uc, amps, thr = np.array([[0]]), np.array([[-100.0]]), np.array([10.0])
    sc = score_detection([50, 500], [0, 0], [51], [0], uc, amps, thr, 2, window=(100, 1000))
    assert sc.channel_num_true[0] == 1 and sc.channel_num_detected[0] == 0
    assert sc.recall == 0.0 and np.isnan(sc.precision)
