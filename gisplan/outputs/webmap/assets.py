"""Leaflet and its plugins: inlined from the npm packages, or linked from a CDN.

The packages are pinned in ``gisplan/webassets/package.json`` (with its
``package-lock.json``) and installed by ``npm ci --prefix gisplan/webassets``.
Offline pages inline their JS and CSS, with every image the CSS refers to
turned into a ``data:`` URI, so the page loads nothing from anywhere.

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
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path

from gisplan.errors import GisplanError

WEBASSETS = Path(str(files("gisplan"))) / "webassets"
INSTALL = "npm ci --prefix gisplan/webassets"
CDN = "https://cdn.jsdelivr.net/npm"


@dataclass(frozen=True)
class Asset:
    """One npm package's files used by the map (paths inside the package)."""

    package: str
    js: tuple[str, ...] = ()
    css: tuple[str, ...] = ()


#: In load order: Leaflet first, then the plugins.
MAP_ASSETS = (
    Asset("leaflet", ("dist/leaflet.js",), ("dist/leaflet.css",)),
    Asset("leaflet.fullscreen", ("dist/Control.FullScreen.umd.js",),
          ("dist/Control.FullScreen.css",)),
    Asset("leaflet-measure", ("dist/leaflet-measure.cn.js",), ("dist/leaflet-measure.css",)),
    Asset("leaflet-search", ("dist/leaflet-search.min.js",), ("dist/leaflet-search.min.css",)),
)
#: Leaflet alone (the plan-diff page).
LEAFLET_ASSETS = MAP_ASSETS[:1]
#: Leaflet and leaflet-draw (the review page, where reviewers draw their markup).
DRAW_ASSETS = (*LEAFLET_ASSETS,
               Asset("leaflet-draw", ("dist/leaflet.draw.js",), ("dist/leaflet.draw.css",)))
_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""")


def pinned_versions() -> dict[str, str]:
    """Package -> exact version pinned in ``gisplan/webassets/package.json``."""
    spec = json.loads((WEBASSETS / "package.json").read_text(encoding="utf-8"))
    return dict(spec["dependencies"])


def _package_dir(package: str, version: str) -> Path:
    folder = WEBASSETS / "node_modules" / package
    try:
        installed = json.loads((folder / "package.json").read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, KeyError):
        raise GisplanError(
            f"the web map's JavaScript libraries are not installed ({package} is missing "
            f"from {folder.parent}); run `{INSTALL}` in the gisplan source folder, or use "
            "--online to load them from a CDN") from None
    if installed != version:
        raise GisplanError(
            f"web map library {package} is {installed} but {version} is pinned; "
            f"run `{INSTALL}` to install the pinned versions")
    return folder


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
    urls = {key: _data_uri(images / name) for key, name in (
        ("iconUrl", "marker-icon.png"), ("iconRetinaUrl", "marker-icon-2x.png"),
        ("shadowUrl", "marker-shadow.png"))}
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
MAP_APP_FILES = ("app.css", "kit.js", "app.js", "app_popups.js", "app_panels.js")


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
