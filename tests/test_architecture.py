"""Imports flow one way: the numerical packages never import the orchestrator or I/O stacks."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
FORBIDDEN = {"neurosim", "h5py", "dask", "distributed", "pyvista", "vtk", "brian2"}


#: The one exception to "the numerical packages do not import each other": chip_models uses the
#: counter-based generator of electrode_models (one SplitMix64 for every random stream of a run,
#: tests/electrode_models/test_counter_rng.py), a Numba kernel module with no other imports from
#: the package. Nothing else of electrode_models may be imported by chip_models.
SHARED_MODULES = {"electrode_models._counter_rng"}


def _modules(path: Path):
    """Full names of the absolute imports of a file."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def _imports(path: Path):
    yield from (m.split(".")[0] for m in _modules(path))


@pytest.mark.parametrize("package, also_forbidden", [("electrode_models", {"chip_models"}),
                                                     ("chip_models", {"electrode_models"})])
def test_numerical_packages_import_no_orchestrator(package, also_forbidden):
    for path in sorted((ROOT / package).rglob("*.py")):
        allowed = {"pyvista", "vtk"} if path.name == "render.py" else set()
        mods = {m for m in _modules(path) if m not in SHARED_MODULES}
        bad = ({m.split(".")[0] for m in mods} & (FORBIDDEN | also_forbidden)) - allowed
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_shared_counter_rng_stays_self_contained():
    """The shared module imports only NumPy and Numba, so importing it from chip_models pulls
    in nothing else of electrode_models."""
    for name in SHARED_MODULES:
        path = ROOT / (name.replace(".", "/") + ".py")
        tree = ast.parse(path.read_text())
        relative = [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level > 0]
        assert not relative, f"{name} has relative imports"
        assert set(_imports(path)) <= {"__future__", "numpy", "numba"}, sorted(_imports(path))


def test_brian2_stays_inside_populations():
    for path in sorted((ROOT / "neurosim").rglob("*.py")):
        if "brian2" in set(_imports(path)) or "import brian2" in path.read_text():
            assert "populations" in path.parts, f"{path.relative_to(ROOT)} imports brian2"


def test_modules_stay_small():
    for package in ("neurosim", "electrode_models", "chip_models"):
        for path in (ROOT / package).rglob("*.py"):
            n = len(path.read_text().splitlines())
            assert n < 800, f"{path.relative_to(ROOT)} has {n} lines; split it"
