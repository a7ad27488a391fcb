"""Leaflet and its plugins: inlined from the pinned npm packages, or linked from a CDN.

The packages are pinned in ``gisplan/webassets/package.json`` (with its
``package-lock.json``); :mod:`gisplan.outputs.webmap.libraries` says which of their
files the pages use. An installed gisplan (wheel or sdist) carries those files in
``gisplan/outputs/webmap/vendor/``, copied at build time; a source checkout may instead
have them from ``npm ci --prefix gisplan/webassets``. Offline pages inline their JS and
CSS, with every image the CSS refers to turned into a ``data:`` URI, so the page loads
nothing from anywhere.

Examples
--------
>>> sorted(pinned_versions())[:2]
['leaflet', 'leaflet-draw']
"""

from __future__ import annotations

import base64
import json
import mimetypes
import re
import shlex
from functools import cache
from importlib.resources import files
from pathlib import Path

from gisplan.errors import GisplanError
from gisplan.outputs.webmap import libraries
from gisplan.outputs.webmap.libraries import (
    DRAW_ASSETS,
    LEAFLET_ASSETS,
    MAP_ASSETS,
    Asset,
    installed_version,
)

__all__ = ["DRAW_ASSETS", "LEAFLET_ASSETS", "MAP_ASSETS", "Asset", "app_files", "inline_assets",
           "inline_css", "linked_assets", "pinned_versions"]

PACKAGE = Path(str(files("gisplan")))
WEBASSETS = PACKAGE / "webassets"
#: The copy the wheel and sdist carry (built by ``setup.py``; absent in a fresh clone).
VENDOR = PACKAGE.joinpath(*libraries.VENDOR_PATH)
CDN = "https://cdn.jsdelivr.net/npm"
_URL = libraries.CSS_URL


def pinned_versions() -> dict[str, str]:
    """Package -> exact version pinned in ``gisplan/webassets/package.json``."""
    return libraries.pinned_versions(WEBASSETS)


def source_checkout() -> bool:
    """Whether gisplan runs from a source checkout (an editable install or the clone
    itself) rather than from an installed wheel or sdist."""
    return (PACKAGE.parent / "pyproject.toml").is_file()


def _advice() -> str:
    """How to get the pinned libraries, for this kind of installation."""
    if source_checkout():
        how = f"run `npm ci --prefix {shlex.quote(str(WEBASSETS))}`"
    else:
        how = (f"this installation of gisplan ({PACKAGE}) lacks them: reinstall it "
               "(`pip install --force-reinstall --no-deps gisplan`, or the same with the wheel "
               "or source folder it came from; a build from source needs npm)")
    return f"{how}; or pass --online to link them from a CDN (the page then needs internet)"


def _package_dir(package: str, version: str) -> Path:
    """The folder holding ``package`` at ``version``: the vendored copy, else
    ``gisplan/webassets/node_modules`` of a source checkout."""
    found = {}
    for folder in (VENDOR / package, WEBASSETS / "node_modules" / package):
        installed = installed_version(folder)
        if installed == version:
            return folder
        if installed is not None:
            found[folder] = installed
    if found:
        folder, installed = next(iter(found.items()))
        raise GisplanError(
            f"web map library {package} is {installed} (in {folder}) but {version} is "
            f"pinned; {_advice()}")
    raise GisplanError(
        f"the web map's JavaScript libraries are missing ({package} {version} is neither in "
        f"{VENDOR} nor in {WEBASSETS / 'node_modules'}); {_advice()}")


def _data_uri(path: Path) -> str:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def inline_css(css: str, base: Path) -> str:
    """``css`` with every relative ``url(...)`` replaced by a ``data:`` URI of the file."""

    def repl(match: re.Match[str]) -> str:
        ref = match.group(2).strip()
        if ref.startswith(("data:", "#")):
            return match.group(0)
        if "://" in ref or ref.startswith("//"):
            raise GisplanError(f"stylesheet in {base} refers to a remote file: {ref}")
        target = (base / ref.split("?")[0].split("#")[0]).resolve()
        if not target.is_file():
            return "url(data:,)"
        return f'url("{_data_uri(target)}")'

    return _URL.sub(repl, css)


def _safe(code: str, tag: str) -> str:
    """Keep inlined code from closing its own ``<script>``/``<style>`` element."""
    return re.sub(f"</({tag})", r"<\\/\1", code, flags=re.IGNORECASE)


@cache
def inline_assets(assets: tuple[Asset, ...] = MAP_ASSETS) -> str:
    """``<style>`` and ``<script>`` elements holding the libraries ``assets`` (default: every
    web map library), for the page head.

    Raises
    ------
    GisplanError
        The npm packages are missing or not the pinned versions.
    """
    versions = pinned_versions()
    styles, scripts = [], []
    for asset in assets:
        folder = _package_dir(asset.package, versions[asset.package])
        for rel in asset.css:
            path = folder / rel
            css = inline_css(path.read_text(encoding="utf-8"), path.parent)
            styles.append(f"<style>/* {asset.package} {rel} */\n{_safe(css, 'style')}</style>")
        for rel in asset.js:
            code = (folder / rel).read_text(encoding="utf-8")
            scripts.append(f"<script>/* {asset.package} {rel} */\n{_safe(code, 'script')}"
                           "\n</script>")
        if asset.package == "leaflet":
            scripts.append(_default_icon(folder / "dist" / "images"))
    return "\n".join(styles + scripts)


def _default_icon(images: Path) -> str:
    """Leaflet's default marker images as data: URIs (plugins such as leaflet-measure use
    the default marker; Leaflet would otherwise fetch ``marker-icon.png`` beside the page)."""
    urls = {key: _data_uri(images / name) for key, name in zip(
        ("iconUrl", "iconRetinaUrl", "shadowUrl"), libraries.MARKER_IMAGES, strict=True)}
    return ("<script>L.Icon.Default.imagePath = '';\n"
            f"L.Icon.Default.mergeOptions({json.dumps(urls)});</script>")


def linked_assets(assets: tuple[Asset, ...] = MAP_ASSETS) -> str:
    """``<link>`` and ``<script src>`` elements loading the pinned libraries from a CDN."""
    versions = pinned_versions()
    links, scripts = [], []
    for asset in assets:
        base = f"{CDN}/{asset.package}@{versions[asset.package]}"
        links += [f'<link rel="stylesheet" href="{base}/{rel}"/>' for rel in asset.css]
        scripts += [f'<script src="{base}/{rel}"></script>' for rel in asset.js]
    return "\n".join(links + scripts)


#: The web map's own files, in load order: kit.js holds the helpers shared with the review
#: and plan-diff pages; app.js defines the map's App, which the later scripts extend.
MAP_APP_FILES = ("app.css", "kit.js", "app.js", "app_popups.js", "app_labels.js",
                 "app_context.js", "app_legend.js", "app_search.js", "app_table.js",
                 "app_page.js", "app_panels.js")


def app_files(*names: str) -> str:
    """gisplan's own scripts and stylesheets from ``gisplan/outputs/webmap``, inlined (they
    ship with the package); default: the web map's :data:`MAP_APP_FILES`."""
    here = files("gisplan.outputs.webmap")
    out = []
    for name in names or MAP_APP_FILES:
        code = here.joinpath(name).read_text(encoding="utf-8")
        tag = "style" if name.endswith(".css") else "script"
        out.append(f"<{tag}>{_safe(code, tag)}</{tag}>")
    return "\n".join(out)
