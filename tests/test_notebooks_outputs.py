"""Notebooks write their outputs into a temporary folder, never into the source tree.

nbmake (``make test``) and ``make docs`` execute the notebooks with ``notebooks/`` as the working
directory, so a relative output path (``"quickstart.h5"``, ``"chip_sweep"``) lands in the repository.
Two cheap checks instead of executing the notebooks again:

- static: every call that writes a file gets a path that is not a relative literal, and a notebook
  that writes anything creates its folder with ``tempfile``;
- dynamic: after any earlier notebook run, ``notebooks/`` holds notebooks only.
"""

import ast
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

# writer -> (index of the output argument, its keyword name)
WRITERS = {
    "run": (1, "out_path"),                # neurosim.run(design, out_path)
    "run_sweep": (2, "out_dir"),
    "generate_dataset": (2, "out_dir"),
    "export_nwb": (1, "nwb_path"),
    "savefig": (0, "fname"),
    "to_csv": (0, "path_or_buf"),
    "write_text": (None, None),            # Path(...).write_text: checked through its receiver
    "screenshot": (0, "filename"),
}


def _code(nb_path: Path) -> str:
    cells = json.loads(nb_path.read_text())["cells"]
    lines = []
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        for line in "".join(cell["source"]).splitlines():
            # IPython magics and shell escapes are not Python
            lines.append("" if line.lstrip().startswith(("%", "!")) else line)
    return "\n".join(lines)


def _relative_literal(node: ast.AST) -> str | None:
    """The literal relative path an expression evaluates to, if it is one (else None)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return None if Path(node.value).is_absolute() else node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):      # "a" / "b.h5"
        return _relative_literal(node.left)
    if isinstance(node, ast.JoinedStr):                                    # f"run_{i}.h5"
        first = node.values[0] if node.values else None
        if isinstance(first, ast.Constant) and not str(first.value).startswith("/"):
            return "f-string " + str(first.value)
    if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "Path":
        return _relative_literal(node.args[0]) if node.args else "Path()"
    return None


def _written_paths(tree: ast.AST) -> list[ast.AST]:
    paths = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "attr", getattr(node.func, "id", None))
        if name == "main" and node.args and isinstance(node.args[0], ast.List):   # CLI: [..., "-o", X]
            items = node.args[0].elts
            for flag, value in zip(items, items[1:]):
                if isinstance(flag, ast.Constant) and flag.value in ("-o", "--output", "--out"):
                    paths.append(value)
        if name == "open" and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant) \
                and any(m in str(node.args[1].value) for m in "wax"):
            paths.append(node.args[0])
        if name not in WRITERS:
            continue
        index, keyword = WRITERS[name]
        if index is None:
            if isinstance(node.func, ast.Attribute):
                paths.append(node.func.value)
            continue
        if len(node.args) > index:
            paths.append(node.args[index])
        paths.extend(kw.value for kw in node.keywords if kw.arg == keyword)
    return [p for p in paths if not (isinstance(p, ast.Constant) and p.value is None)]


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_writes_only_into_a_temporary_folder(nb_path):
    code = _code(nb_path)
    tree = ast.parse(code)
    paths = _written_paths(tree)
    relative = [(ast.unparse(p), lit) for p in paths if (lit := _relative_literal(p)) is not None]
    assert not relative, f"{nb_path.name} writes to relative paths (inside notebooks/): {relative}"
    if paths:
        assert "tempfile" in code, (
            f"{nb_path.name} writes files ({[ast.unparse(p) for p in paths]}) but never makes a "
            "temporary folder (tempfile.mkdtemp / TemporaryDirectory) for them")
    if "mkdtemp" in code:  # nbmake runs every notebook on each `make test`: no folder left behind
        assert "rmtree" in code, f"{nb_path.name} leaves its temporary folder behind (shutil.rmtree)"


def test_static_check_catches_relative_outputs():
    """The checker itself: the patterns the notebooks used before are caught."""
    bad = ('neurosim.run(d, "quickstart.h5")\nrun_sweep(b, v, "chip_sweep")\n'
           'main(["render", "-o", "quickstart.png"])\nplt.savefig(Path("figs") / "a.png")\n')
    tree = ast.parse(bad)
    assert [_relative_literal(p) for p in _written_paths(tree)] == [
        "quickstart.h5", "chip_sweep", "quickstart.png", "figs"]
    good = 'out = Path(tempfile.mkdtemp())\nneurosim.run(d, out / "q.h5")\nrun_sweep(b, v, None)\n'
    assert [_relative_literal(p) for p in _written_paths(ast.parse(good))] == [None]


def test_notebooks_folder_holds_only_notebooks():
    """What an earlier notebook run (nbmake, ``make docs``, JupyterLab) left behind in the tree."""
    stray = [p.name for p in (ROOT / "notebooks").iterdir()
             if not (p.suffix == ".ipynb" or p.name in (".ipynb_checkpoints", "__pycache__"))]
    assert not stray, f"notebooks wrote {stray} into notebooks/ (write into a temporary folder)"
