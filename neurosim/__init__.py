"""neurosim: a digital twin of a brain implant.

Design -> virtual cortex (Brian2) -> electrodes (Numba) -> implant chip -> scores -> HDF5.
Start with ``neurosim.run()`` (the default design) or ``neurosim run`` on the command line.

Importing the package is cheap: the design classes (and with them SciPy and the chip models) load
on first use, Brian2 only when a network is simulated.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("neurosim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.1.0.dev0"

_DESIGN_NAMES = ("Design", "DesignError", "default_design", "load_design")


def __getattr__(name: str):
    if name in _DESIGN_NAMES:
        import neurosim.design as _design

        return getattr(_design, name)
    raise AttributeError(f"module 'neurosim' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_DESIGN_NAMES))


def run(*args, **kwargs):
    """Run the twin; see `neurosim.pipeline.run`."""
    from neurosim.pipeline import run as _run

    return _run(*args, **kwargs)


__all__ = ["Design", "DesignError", "default_design", "load_design", "run", "__version__"]
