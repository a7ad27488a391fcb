"""gisplan installs like a Python package: the sdist and the wheel carry the pinned web
libraries, and a wheel installed in a fresh virtual environment writes every page offline.

The sdist is built from this source tree (``python -m build --sdist --no-isolation``; the
build vendors the libraries here, running ``npm ci`` if they are not installed), the wheel
from the unpacked sdist with no npm on PATH. The wheel goes into a fresh
``venv --system-site-packages`` (geopandas & co. come from this interpreter) with
``--no-deps``; every command runs from a temporary folder without PYTHONPATH, and the test
checks that ``gisplan`` is imported from the venv, not from this tree. ``--no-isolation``
needs ``build`` and ``setuptools>=70.1``, both in the test extra, and no network.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import HUNCHUN, REPO
from plans import write_review_files

from gisplan.outputs.webmap.libraries import ALL_ASSETS, MANIFEST, pinned_versions

VENDOR = "gisplan/outputs/webmap/vendor"
#: Anything a page would load from elsewhere: an element's src/href/data, a CSS url() or
#: @import (a hyperlink such as Leaflet's attribution <a href="https://leafletjs.com"> loads
#: nothing).
EXTERNAL = re.compile(
    r"""<(?:script|link|img|iframe|source|video|audio|embed|object)\b[^>]*?"""
    r"""\b(?:src|href|data)\s*=\s*["']?(?:https?:)?//"""
    r"""|url\(\s*["']?(?:https?:)?//|@import\s+(?:url\()?["']?(?:https?:)?//""",
    re.IGNORECASE)


def _run(argv: list[object], *, cwd: Path, env: dict[str, str] | None = None,
         timeout: float = 600) -> subprocess.CompletedProcess:
    done = subprocess.run([str(a) for a in argv], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"{argv} exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


@dataclass
class Installed:
    sdist: Path
    wheel: Path
    venv: Path
    work: Path
    env: dict[str, str]

    def gisplan(self, *argv: object) -> subprocess.CompletedProcess:
        return _run([self.venv / "bin" / "gisplan", *argv], cwd=self.work, env=self.env)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    _run([sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir",
          root / "dist", REPO], cwd=root, env=env)
    (sdist,) = (root / "dist").glob("gisplan-*.tar.gz")
    with tarfile.open(sdist) as tar:
        tar.extractall(root / "src", filter="data")
    (source,) = (root / "src").iterdir()
    no_npm = {**env, "PATH": str(Path(sys.executable).parent)}
    assert shutil.which("npm", path=no_npm["PATH"]) is None
    _run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir",
          root / "dist", source], cwd=root, env=no_npm)
    (wheel,) = (root / "dist").glob("gisplan-*.whl")
    venv = root / "venv"
    _run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", venv],
         cwd=root, env=env)
    _run([sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install",
          "--no-deps", "--no-index", "--force-reinstall", "--quiet", wheel], cwd=root, env=env)
    work = root / "work"
    work.mkdir()
    return Installed(sdist, wheel, venv, work, env)


def _vendored_files() -> set[str]:
    """What the wheel and sdist must carry: every page library's JS and CSS, licence and
    package.json, and the manifest."""
    need = {f"{VENDOR}/{MANIFEST}"}
    for asset in ALL_ASSETS:
        need |= {f"{VENDOR}/{asset.package}/{f}"
                 for f in ("package.json", *asset.js, *asset.css, *asset.extra)}
    return need


def _licences(names: set[str]) -> dict[str, list[str]]:
    return {a.package: [n for n in names if n.startswith(f"{VENDOR}/{a.package}/")
                        and re.search(r"/(LICEN[CS]E|MIT-LICEN[CS]E)[^/]*$", n, re.I)]
            for a in ALL_ASSETS}


def test_sdist_and_wheel_carry_the_libraries_and_their_licences(installed: Installed):
    with tarfile.open(installed.sdist) as tar:
        in_sdist = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    with zipfile.ZipFile(installed.wheel) as whl:
        in_wheel = set(whl.namelist())
    for names in (in_sdist, in_wheel):
        assert _vendored_files() <= names
        assert all(_licences(names).values()), _licences(names)
        assert not [n for n in names if "node_modules" in n]
        assert "gisplan/webassets/package-lock.json" in names
    # only what the pages use: no sources, source maps, other languages or READMEs
    assert not [n for n in in_wheel if n.startswith(VENDOR) and
                re.search(r"(\.map|-src\.js|README[^/]*|/src/.*|\.en\.js)$", n)]
    print(f"\nwheel {installed.wheel.stat().st_size / 1024:.0f} KiB, "
          f"sdist {installed.sdist.stat().st_size / 1024:.0f} KiB")


def test_gisplan_comes_from_the_wheel(installed: Installed):
    done = _run([installed.venv / "bin" / "python", "-c",
                 "import gisplan; from gisplan.outputs.webmap import assets; "
                 "print(gisplan.__file__); print(assets.source_checkout())"],
                cwd=installed.work, env=installed.env)
    where, checkout = done.stdout.split()
    assert Path(where).is_relative_to(installed.venv), where
    assert not Path(where).is_relative_to(REPO) and checkout == "False"


def _offline(page: Path) -> str:
    html = page.read_text(encoding="utf-8")
    assert not EXTERNAL.findall(html), f"{page} loads {EXTERNAL.findall(html)[:3]}"
    return html


def test_run_from_the_wheel_writes_offline_pages(installed: Installed):
    out = installed.work / "hunchun"
    done = installed.gisplan("run", HUNCHUN, "--out", out)
    assert "户数 households 5,054" in done.stdout
    html = _offline(out / "map.html")
    version = pinned_versions(REPO / "gisplan" / "webassets")["leaflet"]
    assert "/* leaflet dist/leaflet.js */" in html and f'version="{version}"' in html
    assert "/* leaflet-search dist/leaflet-search.min.js */" in html
    packages = sorted((out / "packages").glob("*/map.html"))
    assert len(packages) == 17
    assert all("/* leaflet dist/leaflet.js */" in _offline(p) for p in packages)


def test_review_and_diff_from_the_wheel_write_offline_pages(installed: Installed):
    root, plan = write_review_files(installed.work / "review_in")
    installed.gisplan("review", plan, "--proposal", root / "proposal.geojson",
                      "--out", installed.work / "review")
    html = _offline(installed.work / "review" / "review.html")
    assert "/* leaflet-draw dist/leaflet.draw.js */" in html
    installed.gisplan("diff", plan, plan, "--out", installed.work / "diff")
    html = _offline(installed.work / "diff" / "diff.html")
    assert "/* leaflet dist/leaflet.js */" in html


def test_the_installed_map_opens_offline_in_a_browser(installed: Installed):
    """Chromium opens the installed package's map with every request outside the machine
    aborted: Leaflet runs from the inlined copy, nothing fails."""
    browser_tests = pytest.importorskip("test_webmap_browser")  # skips as the browser tests do
    page_file = installed.work / "hunchun" / "map.html"
    if not page_file.exists():
        installed.gisplan("map", HUNCHUN, "--out", page_file.parent)
    with browser_tests.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_tests.CHROMIUM,
                                    args=browser_tests.FLAGS)
        try:
            page, watch = browser_tests._open(browser, page_file.as_uri())
            version = pinned_versions(REPO / "gisplan" / "webassets")["leaflet"]
            assert page.evaluate("L.version") == version
            assert page.evaluate("gisplan.counts()")["communities"] == 17
            watch.check()
        finally:
            browser.close()
