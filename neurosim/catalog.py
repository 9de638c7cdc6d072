"""What a design can name: layouts, electrode materials and models (``neurosim list``).

Everything is read from the registries of the packages that implement it, so the lists cannot
drift from the code: layouts from `electrode_models.layouts.REGISTRY` (parameters from the
generators' signatures), materials from `electrode_models.list_materials`, population
models from `neurosim.populations.MODELS`, and the chip's detectors, output modes, ADC
multiplexing schemes and heat geometries from `chip_models`, each restricted to what the
design accepts.
"""

from __future__ import annotations

from typing import get_args

__all__ = ["layout_table", "format_layouts", "format_materials", "format_models"]


def layout_table() -> list[dict]:
    """Per layout: name, anatomical class, contacts with the defaults, site radius (µm), parameters."""
    import electrode_models as em
    from electrode_models.layouts import REGISTRY
    from neurosim.design.implant import layout_parameters

    rows = []
    for name, (builder, radius_um, anatomical_class) in REGISTRY.items():
        rows.append({"layout": name, "class": anatomical_class,
                     "contacts": em.make_probe(name).get_contact_count(),
                     "site_radius_um": radius_um, "params": layout_parameters(name)})
    return rows


def format_layouts() -> str:
    rows = layout_table()
    lines = [f"{'layout':<13} {'class':<13} {'contacts':>8}  {'site radius':>11}  "
             f"implant.layout_params (default)"]
    for r in rows:
        params = ", ".join(f"{k}={'auto' if v is None else v}" for k, v in r["params"].items())
        lines.append(f"{r['layout']:<13} {r['class']:<13} {r['contacts']:>8}  "
                     f"{r['site_radius_um']:>8.2f} um  {params}")
    lines.append(f"{'custom':<13} {'(from file)':<13} {'':>8}  {'':>11}  implant.layout_file = "
                 f"a probeinterface JSON file")
    return "\n".join(lines)


def format_materials() -> str:
    import electrode_models as em

    lines = ["implant.material  |Z| at 1 kHz, 20 um radius disc in 0.3 S/m"]
    for m in em.list_materials():
        z = abs(em.electrode_impedance(m, 20.0, 1000.0, 0.3))
        lines.append(f"{m:<17} {z / 1e3:,.0f} kOhm")
    return "\n".join(lines)


def _accepted(registry, section, field: str) -> list[str]:
    """The registry's names that the design field also accepts (its Literal), in registry order."""
    allowed = set(get_args(section.model_fields[field].annotation))
    return [k for k in registry if k in allowed]


def format_models() -> str:
    from chip_models.detectors import DETECTOR_KINDS
    from chip_models.heat import HEAT_GEOMETRIES
    from chip_models.mux import MUX_SCHEMES
    from chip_models.outputs import OUTPUT_MODES
    from neurosim.design import ADCConfig, Detector, Population, Radio
    from neurosim.design.chip import Thermal
    from neurosim.populations import MODELS

    table = [("population.model", _accepted(MODELS, Population, "model")),
             ("chip.detector.kind", _accepted(DETECTOR_KINDS, Detector, "kind")),
             ("chip.radio.output_mode", _accepted(OUTPUT_MODES, Radio, "output_mode")),
             ("chip.adc.mux_scheme", _accepted(MUX_SCHEMES, ADCConfig, "mux_scheme")),
             ("chip.thermal.geometry", _accepted(HEAT_GEOMETRIES, Thermal, "geometry"))]
    width = max(len(k) for k, _ in table)
    return "\n".join(f"{k:<{width}}  {', '.join(v)}" for k, v in table)
