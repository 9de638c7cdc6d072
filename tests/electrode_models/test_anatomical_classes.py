"""Surface grids see LFP (current dipoles) but almost no single-unit spikes; intracortical sites see spikes."""

import numpy as np
import pytest

from electrode_models import HalfSpaceConductor, compute_templates, contact_normals, make_probe


def _peak_uV(probe, soma_um):
    pos = np.asarray(probe.contact_positions, float)
    t = compute_templates(["pyramidal"], np.array([soma_um]), np.array([[0.0, 0.0, 1.0]]), pos,
                          contact_normals(probe), probe.contact_shape_params[0]["radius"], 30000.0,
                          max_channels=len(pos), min_amplitude_uV=0.0, cutoff_um=1e5)
    return float(np.abs(t.peak_amplitude_uV[0]))


def test_ecog_sees_no_single_units_but_dipoles():
    ecog = make_probe("ecog", rows=1, cols=1)  # one 1.2 mm disc on the pia, facing down
    # a pyramidal soma 600 µm below the contact (layer 3/5 border): x2 for the insulating
    # backing (method of images) still leaves it far below the ~10 µV noise of such a contact
    spike = 2.0 * _peak_uV(ecog, [0.0, 0.0, -600.0])
    assert spike < 3.0
    # a 1 nA·m (1e6 nA·µm) current dipole 1 mm deep (~1-6 mm² of synchronously active cortex;
    # Murakami & Okada 2006) gives hundreds of µV on the same contact
    g = HalfSpaceConductor(0.3, 0.0).dipole_gain_matrix(ecog.contact_positions, [[0.0, 0.0, -1000.0]])
    lfp = float(g[0, 0] @ [0.0, 0.0, 1e6])
    assert lfp == pytest.approx(2 * 1000 * 1e6 / (4 * np.pi * 0.3 * 1000.0 ** 2), rel=1e-9)
    assert lfp > 100.0 * spike


def test_intracortical_sees_single_units():
    np1 = make_probe("neuropixels1", num_channels=32, tip_depth_um=1000.0)
    site = np1.contact_positions[10]
    near = _peak_uV(np1, site + [0.0, 30.0, 0.0])   # 30 µm from the site
    far = _peak_uV(np1, site + [0.0, 100.0, 0.0])   # 100 µm
    assert near >= 50.0  # published: >= ~100 µV within ~30 µm for large pyramidal cells
    assert 5.0 <= far < near  # tens of µV at ~100 µm


def test_head_model_classes_see_dipoles_not_units():
    """Epidural (on the dura) and endovascular (vessel above the cortex, in the CSF layer) contacts:
    a 1 nA·m dipole 1 mm deep gives tens of µV through the four-sphere head model, while a single
    pyramidal cell's spike there is far below 1 µV (infinite medium, no backing: an upper bound)."""
    from electrode_models import FourSphereConductor

    head = FourSphereConductor()
    for layout in ("epidural", "stent"):
        probe = make_probe(layout)
        pos = np.asarray(probe.contact_positions, float)
        contact = pos[np.argmin(pos[:, 2])]  # the contact nearest the cortex
        contact = np.array([0.0, 0.0, min(contact[2], 1000.0)])  # stent: evaluated in the CSF layer
        lfp = float(head.dipole_gain_matrix([contact], [[0.0, 0.0, -1000.0]])[0, 0] @ [0.0, 0.0, 1e6])
        assert lfp > 10.0
        spike = _peak_uV(probe, [pos[np.argmin(pos[:, 2])][0], pos[np.argmin(pos[:, 2])][1], -600.0])
        assert spike < 1.0
        assert lfp > 100.0 * spike
