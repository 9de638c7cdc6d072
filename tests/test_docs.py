"""The documentation site builds, with the API reference generated from the docstrings."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


@pytest.mark.slow
def test_docs_site_builds(tmp_path):
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings")
    tutorials = ROOT / "docs" / "tutorials"
    tutorials.mkdir(exist_ok=True)
    for nb in (ROOT / "notebooks").glob("*.ipynb"):
        shutil.copy(nb, tutorials / nb.name)
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    subprocess.run([sys.executable, str(ROOT / "docs" / "gallery.py")], cwd=ROOT, check=True, env=env,
                   stdout=subprocess.DEVNULL)  # as `make docs` does
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "--quiet", "--site-dir", str(site)],
                   cwd=ROOT, check=True, env=env)
    api = (site / "api" / "electrode_models" / "index.html").read_text()
    assert "compute_templates" in api and "inject_spikes" in api
    assert "MADThresholdDetector" in (site / "api" / "chip_models" / "index.html").read_text()
    assert (site / "file_format" / "index.html").exists()
    assert (site / "tutorials" / "01_quickstart" / "index.html").exists()
    gallery = (site / "gallery" / "index.html").read_text()
    assert 'src="utah96.png"' in gallery and "endovascular" in gallery
    assert (site / "gallery" / "stent.png").exists()
