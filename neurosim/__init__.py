"""neurosim: a digital twin of a brain implant.

Design -> virtual cortex (Brian2) -> electrodes (Numba) -> implant chip -> scores -> HDF5.
Start with ``neurosim.run()`` (the default design) or ``neurosim run`` on the command line.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("neurosim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.1.0.dev0"

from neurosim.design import Design, DesignError, default_design, load_design  # noqa: E402


def run(*args, **kwargs):
    """Run the twin; see `neurosim.pipeline.run`."""
    from neurosim.pipeline import run as _run

    return _run(*args, **kwargs)


__all__ = ["Design", "DesignError", "default_design", "load_design", "run", "__version__"]
