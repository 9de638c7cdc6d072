"""Imports flow one way: the numerical packages never import the orchestrator or I/O stacks."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
FORBIDDEN = {"neurosim", "h5py", "dask", "distributed", "pyvista", "vtk", "brian2"}


def _imports(path: Path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split(".")[0]


@pytest.mark.parametrize("package, also_forbidden", [("electrode_models", {"chip_models"}),
                                                     ("chip_models", {"electrode_models"})])
def test_numerical_packages_import_no_orchestrator(package, also_forbidden):
    for path in sorted((ROOT / package).rglob("*.py")):
        allowed = {"pyvista", "vtk"} if path.name == "render.py" else set()
        bad = (set(_imports(path)) & (FORBIDDEN | also_forbidden)) - allowed
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_brian2_stays_inside_populations():
    for path in sorted((ROOT / "neurosim").rglob("*.py")):
        if "brian2" in set(_imports(path)) or "import brian2" in path.read_text():
            assert "populations" in path.parts, f"{path.relative_to(ROOT)} imports brian2"


def test_modules_stay_small():
    for package in ("neurosim", "electrode_models", "chip_models"):
        for path in (ROOT / package).rglob("*.py"):
            n = len(path.read_text().splitlines())
            assert n < 800, f"{path.relative_to(ROOT)} has {n} lines; split it"
