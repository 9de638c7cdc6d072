"""Fixtures of the interop tests: one tiny neurosim file, and copies of it to corrupt."""

import shutil

import h5py
import pytest


@pytest.fixture(scope="session")
def tiny_h5(tiny_design, tmp_path_factory):
    """A neurosim file of the tiny design (16 channels, 0.6 s), written once per session."""
    import neurosim.pipeline

    path = tmp_path_factory.mktemp("interop") / "tiny.h5"
    neurosim.pipeline.run(tiny_design, path, progress=False)
    return path


@pytest.fixture
def edit_copy(tiny_h5, tmp_path):
    """``edit_copy(fn)``: a copy of the tiny file after ``fn(h5py.File)`` modified it."""

    def make(fn, name="edited.h5"):
        path = tmp_path / name
        shutil.copyfile(tiny_h5, path)
        with h5py.File(path, "r+") as f:
            fn(f)
        return path

    return make


@pytest.fixture
def foreign_files(tmp_path):
    """A text file, an HDF5 file of another format and a neurosim file holding nothing."""
    text = tmp_path / "notes.h5"
    text.write_text("not hdf5")
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f.attrs["format"] = "something-else"
    empty = tmp_path / "empty.h5"
    with h5py.File(empty, "w") as f:
        f.attrs["format"] = "neurosim"
    return {"text": text, "other": other, "empty": empty}
