"""File formats: the neurosim HDF5 schema, atomic writer and reader."""

from neurosim.io.hdf5 import AtomicH5Writer, read_result, validate_file
from neurosim.io.schema import SCHEMA

__all__ = ["AtomicH5Writer", "read_result", "validate_file", "SCHEMA"]
