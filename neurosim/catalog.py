"""What a design can name: layouts, electrode materials and models (``neurosim list``).

Everything is read from the registries of the packages that implement it, so the lists cannot
drift from the code: layouts from `electrode_models.layouts.REGISTRY` (parameters from the
generators' signatures, their ranges from the validation of ``implant.layout_params``:
`neurosim.design.implant.layout_param_ranges`), materials from `electrode_models.list_materials`,
population models from `neurosim.populations.MODELS`, and the chip's detectors, output modes, ADC
multiplexing schemes and heat geometries from `chip_models`, each restricted to what the
design accepts.
"""

from __future__ import annotations

from typing import get_args

__all__ = ["layout_table", "format_layouts", "format_materials", "format_models"]


def layout_table() -> list[dict]:
    """Per layout: name, anatomical class, contacts with the defaults, site radius (µm), parameters
    (``params``: name -> `neurosim.design.implant.LayoutParamRange`, the ranges that
    ``design validate`` accepts for ``implant.layout_params``)."""
    import electrode_models as em
    from electrode_models.layouts import REGISTRY
    from neurosim.design.implant import layout_param_ranges

    rows = []
    for name, (builder, radius_um, anatomical_class) in REGISTRY.items():
        rows.append({"layout": name, "class": anatomical_class,
                     "contacts": em.make_probe(name).get_contact_count(),
                     "site_radius_um": radius_um, "params": layout_param_ranges(name)})
    return rows


def format_layouts() -> str:
    """One line per layout, then one indented line per ``implant.layout_params`` entry: name,
    type, allowed range with its unit (the other parameters at their defaults), default."""
    rows = layout_table()
    lines = [f"{'layout':<13} {'class':<13} {'contacts':>8}  {'site radius':>11}",
             "    implant.layout_params: name, type, range with unit (the others at their defaults), "
             "default"]
    for r in rows:
        lines.append(f"{r['layout']:<13} {r['class']:<13} {r['contacts']:>8}  "
                     f"{r['site_radius_um']:>8.2f} um")
        for p in r["params"].values():
            default = "auto" if p.default is None else f"{p.default:g}"
            note = f"  ({p.note})" if p.note else ""
            lines.append(f"    {p.name:<20} {p.type:<5} {p.interval():<26} default {default}{note}")
    lines.append(f"{'custom':<13} {'(from file)':<13} {'':>8}  {'':>11}  implant.layout_file = "
                 f"a probeinterface JSON file")
    return "\n".join(lines)


def format_materials() -> str:
    """The materials that ``implant.material`` accepts, with the impedance of a reference site."""
    import electrode_models as em
    from neurosim.design.implant import Implant

    lines = ["implant.material  |Z| at 1 kHz, 20 um radius disc in 0.3 S/m"]
    for m in _accepted(em.list_materials(), Implant, "material"):
        z = abs(em.electrode_impedance(m, 20.0, 1000.0, 0.3))
        lines.append(f"{m:<17} {z / 1e3:,.0f} kOhm")
    return "\n".join(lines)


def _accepted(registry, section, field: str) -> list[str]:
    """The registry's names that the design field also accepts (its Literal), in registry order."""
    allowed = set(get_args(section.model_fields[field].annotation))
    return [k for k in registry if k in allowed]


def format_models() -> str:
    from chip_models.detection import DETECTOR_KINDS
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
