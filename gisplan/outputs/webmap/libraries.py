"""The pages' JavaScript libraries: which files of which pinned npm packages, and their
vendored copy.

Leaflet and its plugins are pinned in ``gisplan/webassets/package.json`` and locked by
its ``package-lock.json``. Building gisplan (``pip install .``, ``python -m build``;
see ``setup.py``) calls :func:`vendor`: it runs ``npm ci`` when the packages are not
installed in ``gisplan/webassets/node_modules`` and copies ONLY the files the pages use
(the JS and CSS named here, every image their CSS refers to, Leaflet's marker images) with
each package's licence into ``gisplan/outputs/webmap/vendor/``. The wheel and the sdist
carry that folder, so installing either needs no npm.

This module uses only the standard library and imports nothing from gisplan:
``setup.py`` loads it by its path at build time, before gisplan's dependencies exist.

Examples
--------
>>> [a.package for a in ALL_ASSETS]  # doctest: +NORMALIZE_WHITESPACE
['leaflet', 'leaflet.fullscreen', 'leaflet-measure', 'leaflet-search',
 'leaflet.markercluster', 'leaflet-draw']
>>> css_refs("a{background:url('img/a.png?v=1')} b{background:url(data:,)}")
['img/a.png']
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

#: Folder of the package ``gisplan`` (this file is gisplan/outputs/webmap/libraries.py).
PACKAGE = Path(__file__).resolve().parents[2]
#: Where the vendored copy lives inside a gisplan package folder.
VENDOR_PATH = ("outputs", "webmap", "vendor")
#: The vendored copy's index: package -> {"version", "files"}.
MANIFEST = "MANIFEST.json"
#: Flags of every ``npm ci`` gisplan runs (no install scripts: the packages need none).
NPM_FLAGS = ("--no-audit", "--no-fund", "--ignore-scripts")


@dataclass(frozen=True)
class Asset:
    """One npm package's files used by the pages (paths inside the package)."""

    package: str
    js: tuple[str, ...] = ()
    css: tuple[str, ...] = ()
    #: Further files used other than through the CSS (Leaflet's default marker images).
    extra: tuple[str, ...] = ()


#: Leaflet's default marker images, inlined by :func:`gisplan.outputs.webmap.assets.inline_assets`.
MARKER_IMAGES = ("marker-icon.png", "marker-icon-2x.png", "marker-shadow.png")

#: In load order: Leaflet first, then the plugins.
MAP_ASSETS = (
    Asset("leaflet", ("dist/leaflet.js",), ("dist/leaflet.css",),
          tuple(f"dist/images/{name}" for name in MARKER_IMAGES)),
    Asset("leaflet.fullscreen", ("dist/Control.FullScreen.umd.js",),
          ("dist/Control.FullScreen.css",)),
    Asset("leaflet-measure", ("dist/leaflet-measure.cn.js",), ("dist/leaflet-measure.css",)),
    Asset("leaflet-search", ("dist/leaflet-search.min.js",), ("dist/leaflet-search.min.css",)),
    # Facilities in clusters; the cluster icons are gisplan's own (app.css), so only the
    # animation stylesheet, not MarkerCluster.Default.css.
    Asset("leaflet.markercluster", ("dist/leaflet.markercluster.js",),
          ("dist/MarkerCluster.css",)),
)
#: Leaflet alone (the plan-diff page).
LEAFLET_ASSETS = MAP_ASSETS[:1]
#: Leaflet and leaflet-draw (the review page, where reviewers draw their markup).
DRAW_ASSETS = (*LEAFLET_ASSETS,
               Asset("leaflet-draw", ("dist/leaflet.draw.js",), ("dist/leaflet.draw.css",)))
#: Every library some page uses: what is vendored.
ALL_ASSETS = (*MAP_ASSETS, *DRAW_ASSETS[1:])

#: ``url(...)`` in CSS.
CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""")
#: Licence files in a package's root folder.
_LICENCE = re.compile(r"^(LICEN[CS]E|COPYING|MIT-LICEN[CS]E|NOTICE)", re.IGNORECASE)


class VendorError(RuntimeError):
    """The libraries cannot be installed or copied (raised at build time)."""


def css_refs(css: str) -> list[str]:
    """Local files ``css`` refers to (``url(...)`` without ``data:``, ``#`` or remote
    URLs), query and fragment removed, in order of first use."""
    refs = []
    for match in CSS_URL.finditer(css):
        ref = match.group(2).strip()
        if ref.startswith(("data:", "#")) or "://" in ref or ref.startswith("//"):
            continue
        refs.append(ref.split("?")[0].split("#")[0])
    return list(dict.fromkeys(refs))


def pinned_versions(webassets: Path) -> dict[str, str]:
    """Package -> exact version pinned in ``webassets/package.json``."""
    spec = json.loads((webassets / "package.json").read_text(encoding="utf-8"))
    return dict(spec["dependencies"])


def installed_version(folder: Path) -> str | None:
    """The version in ``folder/package.json`` (an npm package folder), or None."""
    try:
        return str(json.loads((folder / "package.json").read_text(encoding="utf-8"))["version"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def package_files(folder: Path, asset: Asset, *, licences: Path | None = None) -> list[str]:
    """The files of the npm package in ``folder`` that the pages use, as POSIX paths
    relative to ``folder``: ``package.json``, its licence files, the JS and CSS of
    ``asset``, every existing file the CSS refers to, and ``asset.extra``.

    ``licences`` is a folder of licence files for packages whose npm tarball has none
    (``gisplan/webassets/licenses/<package>/``); those are not listed here.
    """
    names = sorted(p.name for p in folder.iterdir() if p.is_file() and _LICENCE.match(p.name))
    if not names and not (licences is not None and any(licences.glob("*"))):
        raise VendorError(f"{asset.package} in {folder} has no licence file; put its licence "
                          f"in gisplan/webassets/licenses/{asset.package}/")
    files = ["package.json", *names, *asset.js, *asset.css, *asset.extra]
    for css in asset.css:
        base = PurePosixPath(css).parent
        for ref in css_refs((folder / css).read_text(encoding="utf-8")):
            rel = os.path.normpath(str(base / ref)).replace(os.sep, "/")
            if rel.startswith("../") or rel.startswith("/"):
                raise VendorError(f"{asset.package}/{css} refers to {ref}, outside the package")
            if (folder / rel).is_file():
                files.append(rel)
    missing = [f for f in files if not (folder / f).is_file()]
    if missing:
        raise VendorError(f"{asset.package} in {folder} lacks {', '.join(missing)}")
    return list(dict.fromkeys(files))


def vendored(target: Path, pins: dict[str, str]) -> bool:
    """Whether ``target`` holds every library of :data:`ALL_ASSETS` at its pinned version,
    with every file its manifest lists."""
    try:
        manifest = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    for asset in ALL_ASSETS:
        entry = manifest.get(asset.package)
        if not isinstance(entry, dict) or entry.get("version") != pins.get(asset.package):
            return False
        if not all((target / asset.package / f).is_file() for f in entry.get("files", [])):
            return False
    return True


def _installed(node_modules: Path, pins: dict[str, str]) -> bool:
    return all(installed_version(node_modules / a.package) == pins[a.package]
               for a in ALL_ASSETS)


def vendor(package: Path = PACKAGE, *, npm: str | None = None,
           log: Callable[[str], object] = print) -> Path:
    """Make ``package/outputs/webmap/vendor`` hold the pinned libraries' files; return it.

    Nothing is done when the folder is already complete at the pinned versions (a build
    from the sdist). Else the packages are taken from ``package/webassets/node_modules``,
    after ``npm ci`` (``npm``: its path, default found on PATH) when they are missing there
    or not the pinned versions. The copy is written beside the folder and then moved in.

    Raises
    ------
    VendorError
        npm is needed and not found or fails, or a package lacks a file or a licence.
    """
    webassets = package / "webassets"
    target = package.joinpath(*VENDOR_PATH)
    pins = pinned_versions(webassets)
    if vendored(target, pins):
        log(f"gisplan: web map libraries already vendored in {target}")
        return target
    node_modules = webassets / "node_modules"
    if not _installed(node_modules, pins):
        npm = npm or shutil.which("npm")
        if npm is None:
            raise VendorError(
                "building gisplan from a source checkout needs npm (Node.js): the web map's "
                "libraries are installed from gisplan/webassets/package-lock.json by "
                f"`npm ci --prefix {webassets}`. Install Node.js and build again, or build "
                "from gisplan's sdist, which carries them")
        command = [npm, "ci", "--prefix", str(webassets), *NPM_FLAGS]
        log("gisplan: " + " ".join(command))
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0 or not _installed(node_modules, pins):
            raise VendorError(f"`{' '.join(command)}` failed (exit {done.returncode}):\n"
                              f"{done.stdout[-2000:]}{done.stderr[-2000:]}")
    target.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".vendor-", dir=target.parent))
    try:
        manifest = {}
        for asset in ALL_ASSETS:
            source = node_modules / asset.package
            extra = webassets / "licenses" / asset.package
            files = package_files(source, asset, licences=extra)
            for rel in files:
                (stage / asset.package / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source / rel, stage / asset.package / rel)
            for licence in sorted(extra.glob("*")) if extra.is_dir() else ():
                shutil.copyfile(licence, stage / asset.package / licence.name)
                files.append(licence.name)
            manifest[asset.package] = {"version": pins[asset.package], "files": files}
        (stage / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        stage.rename(target)
    finally:
        if stage.exists():
            shutil.rmtree(stage)
    log(f"gisplan: vendored {len(manifest)} web map libraries into {target}")
    return target
