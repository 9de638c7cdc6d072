"""Parametric probe layouts by anatomical class (generators of contact geometry)."""

from ._common import Layout
from .intracortical import INTRACORTICAL
from .surface import SURFACE

#: layout name -> (generator, default site radius µm, anatomical class)
REGISTRY = {**{k: (g, r, "intracortical") for k, (g, r) in INTRACORTICAL.items()}, **SURFACE}

__all__ = ["Layout", "REGISTRY"]
