"""Design sections: the tissue and the implanted electrode array."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from neurosim.design._base import Section, ranged

__all__ = ["Tissue", "Implant"]


class Tissue(Section):
    """The block of cortex the implant sits in (the cortical surface is z = 0, tissue is z < 0)."""

    size_um: tuple[float, float, float] = Field(
        (5000.0, 5000.0, 2000.0), description="tissue block extent (x, y, depth) for rendering and bounds",
        json_schema_extra={"unit": "um"})
    conductivity_S_per_m: float = ranged(0.3, 0.01, 2.0, "S/m", "extracellular conductivity (grey matter ~0.3)")
    temperature_K: float = ranged(310.0, 273.0, 320.0, "K", "tissue temperature (thermal noise)")

    @model_validator(mode="after")
    def _positive_size(self):
        for axis, v in zip("xyz", self.size_um):
            if not (100.0 <= v <= 50000.0):
                raise ValueError(f"size_um[{axis}] must be in [100, 50000] um, got {v!r}")
        return self


class Implant(Section):
    """The electrode array: layout, placement, material and site size."""

    layout: Literal["utah96", "neuropixels1"] = Field("utah96", description="probe layout")
    position_um: tuple[float, float] = Field((0.0, 0.0), description="lateral insertion point (x, y)",
                                             json_schema_extra={"unit": "um"})
    material: Literal["Pt", "PtIr", "IrOx", "PEDOT", "TiN"] = Field("Pt", description="site material")
    site_radius_um: float | None = ranged(None, 1.0, 200.0, "um", "contact radius (None: the layout's default)")
    layout_params: dict[str, float] = Field(default_factory=dict,
                                            description="extra layout parameters, e.g. pitch_um")
