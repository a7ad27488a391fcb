"""The vendored web libraries: only the files the pages use, with their licences, from the
pinned npm packages (npm ci run when they are missing), as the build does it."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

import pytest

from gisplan.outputs.webmap import libraries
from gisplan.outputs.webmap.libraries import (
    ALL_ASSETS,
    MANIFEST,
    NPM_FLAGS,
    VendorError,
    css_refs,
    package_files,
    vendor,
    vendored,
)

PINS = {a.package: f"1.{i}.0" for i, a in enumerate(ALL_ASSETS)}


def _install(node_modules: Path, pins: dict[str, str] = PINS) -> None:
    """Fake npm packages: the files the pages use, and files they do not (sources, maps,
    other languages, an image no CSS names)."""
    for asset in ALL_ASSETS:
        root = node_modules / asset.package
        files = {"package.json": json.dumps({"name": asset.package,
                                             "version": pins[asset.package]}),
                 "README.md": "readme", "src/index.js": "source", "dist/other.js.map": "{}",
                 "dist/images/unused.png": "png"}
        if asset.package != "leaflet-draw":
            files["LICENSE"] = f"licence of {asset.package}"
        for js in asset.js:
            files[js] = f"/* {asset.package} */"
        for css in asset.css:
            files[css] = ("a{background:url(images/a.png?v=1)} b{background:url('../img/b.svg')}"
                          " c{background:url(data:,)} d{background:url(images/gone.png)}")
            files[str(Path(css).parent / "images" / "a.png")] = "a"
            files["img/b.svg"] = "<svg/>"
        for extra in asset.extra:
            files[extra] = "marker"
        for rel, text in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text, encoding="utf-8")


@pytest.fixture
def package(tmp_path: Path) -> Path:
    """A gisplan package folder with webassets (pins, leaflet-draw's licence), no vendor."""
    webassets = tmp_path / "gisplan" / "webassets"
    (webassets / "licenses" / "leaflet-draw").mkdir(parents=True)
    (webassets / "licenses" / "leaflet-draw" / "MIT-LICENSE.md").write_text("MIT", "utf-8")
    (webassets / "package.json").write_text(json.dumps({"dependencies": PINS}), "utf-8")
    return tmp_path / "gisplan"


def _fake_npm(folder: Path, log: Path) -> str:
    """An ``npm`` that logs its arguments and, for ``ci --prefix P``, installs the fake
    packages (copied from ``folder/registry``) into ``P/node_modules``."""
    _install(folder / "registry")
    script = folder / "npm"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, shutil, sys\nfrom pathlib import Path\n"
        f"Path({str(log)!r}).write_text(json.dumps(sys.argv[1:]))\n"
        "prefix = Path(sys.argv[sys.argv.index('--prefix') + 1])\n"
        f"shutil.copytree({str(folder / 'registry')!r}, prefix / 'node_modules')\n",
        encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


def _tree(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def test_css_refs_are_local_files_without_query():
    css = ("a{background:url(i/a.png?v=2#x)} b{background:url(\"i/a.png\")} "
           "c{background:url(https://x.org/c.png)} d{background:url(//x.org/d.png)} "
           "e{behavior:url(#default#VML)} f{background:url('data:image/svg+xml,<svg/>')}")
    assert css_refs(css) == ["i/a.png"]


def test_vendor_copies_only_what_the_pages_use_with_licences(package: Path, tmp_path: Path):
    _install(package / "webassets" / "node_modules")
    target = vendor(package, npm="/nonexistent/npm", log=lambda _: None)
    assert target == package / "outputs" / "webmap" / "vendor"
    expected = {MANIFEST}
    for asset in ALL_ASSETS:
        own = [] if asset.package == "leaflet-draw" else ["LICENSE"]
        licence = ["MIT-LICENSE.md"] if asset.package == "leaflet-draw" else []
        css_dir = [str(Path(c).parent) for c in asset.css]
        files = ["package.json", *own, *licence, *asset.js, *asset.css, *asset.extra,
                 *(f"{d}/images/a.png" for d in css_dir), "img/b.svg"]
        expected |= {f"{asset.package}/{f}" for f in files}
    assert _tree(target) == expected  # no README, sources, maps or unused images
    manifest = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
    assert {k: v["version"] for k, v in manifest.items()} == PINS
    assert vendored(target, PINS)
    assert not list(target.parent.glob(".vendor-*"))


def test_a_complete_vendored_copy_needs_neither_npm_nor_node_modules(package: Path):
    _install(package / "webassets" / "node_modules")
    target = vendor(package, log=lambda _: None)
    before = {p: p.stat().st_mtime_ns for p in target.rglob("*")}
    for p in sorted((package / "webassets" / "node_modules").rglob("*"), reverse=True):
        p.unlink() if p.is_file() else p.rmdir()
    said = []
    assert vendor(package, npm="/nonexistent/npm", log=said.append) == target
    assert "already vendored" in said[0]
    assert {p: p.stat().st_mtime_ns for p in target.rglob("*")} == before


def test_npm_ci_installs_the_pinned_packages_when_missing(package: Path, tmp_path: Path):
    log = tmp_path / "npm-args.json"
    said = []
    vendor(package, npm=_fake_npm(tmp_path, log), log=said.append)
    assert json.loads(log.read_text()) == ["ci", "--prefix", str(package / "webassets"),
                                           *NPM_FLAGS]
    assert vendored(package / "outputs" / "webmap" / "vendor", PINS)
    assert any("npm ci --prefix" in s for s in said)


def test_a_stale_copy_is_replaced_when_the_pins_change(package: Path,
                                                       monkeypatch: pytest.MonkeyPatch):
    _install(package / "webassets" / "node_modules")
    target = vendor(package, log=lambda _: None)
    pins = {**PINS, "leaflet": "9.9.9"}
    (package / "webassets" / "package.json").write_text(json.dumps({"dependencies": pins}))
    assert not vendored(target, pins)
    monkeypatch.setattr(libraries.shutil, "which", lambda name: None)  # no npm on PATH
    with pytest.raises(VendorError, match=r"needs npm .*build from gisplan's sdist"):
        vendor(package, log=lambda _: None)
    assert not vendored(target, pins)
    _install(package / "webassets" / "node_modules", pins)
    vendor(package, log=lambda _: None)
    assert vendored(target, pins)


def test_failing_npm_is_an_error_with_its_output(package: Path, tmp_path: Path):
    npm = tmp_path / "npm"
    npm.write_text("#!/bin/sh\necho 'npm ERR! network unreachable' >&2\nexit 1\n")
    npm.chmod(0o755)
    with pytest.raises(VendorError, match=r"(?s)failed \(exit 1\).*network unreachable"):
        vendor(package, npm=str(npm), log=lambda _: None)
    assert not (package / "outputs" / "webmap" / "vendor").exists()


def test_a_package_without_a_licence_is_an_error(package: Path):
    _install(package / "webassets" / "node_modules")
    (package / "webassets" / "licenses" / "leaflet-draw" / "MIT-LICENSE.md").unlink()
    with pytest.raises(VendorError, match=r"leaflet-draw .* has no licence file"):
        vendor(package, log=lambda _: None)
    assert not (package / "outputs" / "webmap" / "vendor").exists()


def test_css_reaching_outside_its_package_is_an_error(tmp_path: Path):
    asset = ALL_ASSETS[0]
    root = tmp_path / "leaflet"
    for rel, text in {"package.json": "{}", "LICENSE": "x", **dict.fromkeys(asset.js, ""),
                      **dict.fromkeys(asset.extra, ""),
                      **dict.fromkeys(asset.css, "a{background:url(../../x.png)}")}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    with pytest.raises(VendorError, match="outside the package"):
        package_files(root, asset)


def test_the_real_pins_are_every_library_the_pages_use():
    pins = libraries.pinned_versions(libraries.PACKAGE / "webassets")
    assert {a.package for a in ALL_ASSETS} == set(pins)
