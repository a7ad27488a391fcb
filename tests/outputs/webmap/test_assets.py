"""Leaflet and its plugins: inlined from the pinned npm packages (offline), or linked
from a CDN; the page's own scripts; CSS images as data: URIs."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from plans import load_scoped, write_plan, write_programme, write_review_files

from gisplan.cli import main as cli
from gisplan.errors import GisplanError
from gisplan.outputs.webmap import assets as webassets
from gisplan.outputs.webmap import build_map
from gisplan.outputs.webmap.assets import (
    LEAFLET_ASSETS,
    app_files,
    inline_assets,
    inline_css,
    linked_assets,
    pinned_versions,
)


@pytest.fixture(scope="module")
def mini(tmp_path_factory: pytest.TempPathFactory) -> tuple:
    return load_scoped(tmp_path_factory.mktemp("assets") / "mini")


def test_pinned_versions_are_package_json():
    spec = json.loads((Path(webassets.__file__).parents[2] / "webassets" / "package.json")
                      .read_text(encoding="utf-8"))
    assert pinned_versions() == spec["dependencies"]
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", v) for v in pinned_versions().values())


def test_css_images_become_data_uris(tmp_path):
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "a.png").write_bytes(b"abc")  # base64: YWJj
    css = ("a{background:url(img/a.png)}b{background:url('img/a.png?v=2#x')}"
           "c{background:url(img/none.png)}d{background:url(data:image/gif;base64,R0)}"
           "e{behavior:url(#default)}")
    assert inline_css(css, tmp_path) == (
        'a{background:url("data:image/png;base64,YWJj")}'
        'b{background:url("data:image/png;base64,YWJj")}'
        "c{background:url(data:,)}d{background:url(data:image/gif;base64,R0)}"
        "e{behavior:url(#default)}")


@pytest.mark.parametrize("ref", ["https://example.com/a.png", "//example.com/a.png"])
def test_css_referring_to_a_remote_file_is_an_error(tmp_path, ref):
    with pytest.raises(GisplanError, match="refers to a remote file"):
        inline_css(f"a{{background:url({ref})}}", tmp_path)


def test_inlined_leaflet_loads_nothing_and_cannot_close_its_element():
    html = inline_assets(LEAFLET_ASSETS)
    assert html.count("<script>") == html.count("</script>") == 2  # leaflet.js, default icon
    assert html.count("<style>") == html.count("</style>") == 1
    assert "<script src" not in html and "<link" not in html
    refs = re.findall(r"url\(\s*['\"]?([^'\")]*)", html)
    assert refs and all(r.startswith(("data:", "#")) or r == "" for r in refs)
    assert "/* leaflet dist/leaflet.js" in html and "L.Icon.Default.mergeOptions" in html


def test_linked_assets_are_the_pinned_cdn_copies():
    v = pinned_versions()["leaflet"]
    assert linked_assets(LEAFLET_ASSETS) == (
        f'<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/leaflet@{v}/dist/'
        f'leaflet.css"/>\n<script src="https://cdn.jsdelivr.net/npm/leaflet@{v}/dist/'
        'leaflet.js"></script>')


def test_app_files_are_wrapped_by_kind():
    html = app_files("kit.css", "kit.js")
    assert html.startswith("<style>") and html.endswith("</script>")
    assert html.count("</style>") == 1 and html.count("</script>") == 1
    every = app_files()
    assert every.count("</script>") + every.count("</style>") == len(webassets.MAP_APP_FILES)


def test_marker_cluster_is_inlined_without_its_default_theme():
    html = inline_assets()
    assert "/* leaflet.markercluster dist/leaflet.markercluster.js" in html
    assert "/* leaflet.markercluster dist/MarkerCluster.css" in html
    assert "MarkerCluster.Default.css" not in html and "marker-cluster-small" not in html


@pytest.fixture
def no_assets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """gisplan seeing neither a vendored copy nor node_modules (only package.json)."""
    empty = tmp_path / "webassets"
    empty.mkdir()
    shutil.copy(webassets.WEBASSETS / "package.json", empty / "package.json")
    monkeypatch.setattr(webassets, "WEBASSETS", empty)
    monkeypatch.setattr(webassets, "VENDOR", tmp_path / "vendor")
    webassets.inline_assets.cache_clear()
    yield empty
    webassets.inline_assets.cache_clear()


def test_missing_assets_in_a_source_checkout_name_the_npm_command(
        mini: tuple, no_assets: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setattr(webassets, "source_checkout", lambda: True)
    command = f"npm ci --prefix {no_assets}"
    with pytest.raises(GisplanError, match=re.escape(command)):
        build_map(*mini)
    plan = write_plan(tmp_path / "plan")
    assert cli.main(["map", str(plan), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert command in err and "--online" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_missing_assets_in_an_installed_package_say_reinstall(
        mini: tuple, no_assets: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webassets, "source_checkout", lambda: False)
    with pytest.raises(GisplanError) as caught:
        build_map(*mini)
    message = str(caught.value)
    assert "pip install --force-reinstall --no-deps gisplan" in message
    assert "npm ci" not in message and "--online" in message


def test_online_advice_works_without_assets(no_assets: Path, tmp_path: Path) -> None:
    """The advice's --online works on every command writing a page, with no assets."""
    root, plan = write_review_files(tmp_path / "in")
    write_programme(plan)  # programme.html too
    cdn = '<script src="https://cdn.jsdelivr.net/npm/leaflet@'
    out = tmp_path / "out"
    assert cli.main(["map", str(plan), "--out", str(out / "map"), "--online"]) == 0
    assert cdn in (out / "map" / "map.html").read_text(encoding="utf-8")
    assert cli.main(["export", str(plan), "--out", str(out / "ex"), "--format", "geojson",
                     "--packages", "--online"]) == 0
    pages = list((out / "ex" / "packages").glob("*/map.html"))
    assert pages and all(cdn in p.read_text(encoding="utf-8") for p in pages)
    assert cli.main(["diff", str(plan), str(plan), "--out", str(out / "diff"), "--online"]) == 0
    assert cdn in (out / "diff" / "diff.html").read_text(encoding="utf-8")
    assert cli.main(["review", str(plan), "--proposal", str(root / "proposal.geojson"),
                     "--out", str(out / "review"), "--online"]) == 0
    assert cdn in (out / "review" / "review.html").read_text(encoding="utf-8")
    assert cli.main(["programme", str(plan), "--as-of", "2020-08-25", "--out",
                     str(out / "programme"), "--online"]) == 0
    assert cdn in (out / "programme" / "programme.html").read_text(encoding="utf-8")
    # run: --online for its map, programme page and packages, --shp-encoding for Shapefiles
    assert cli.main(["run", str(plan), "--out", str(out / "run"), "--online",
                     "--shp-encoding", "UTF-8"]) == 0
    for page in ("map.html", "programme.html"):
        assert cdn in (out / "run" / page).read_text(encoding="utf-8"), page
    pages = list((out / "run" / "packages").glob("*/map.html"))
    assert pages and all(cdn in p.read_text(encoding="utf-8") for p in pages)
    cpgs = list((out / "run" / "exports" / "shp").glob("*.cpg"))
    assert cpgs and {p.read_text(encoding="ascii").strip() for p in cpgs} == {"UTF-8"}


def test_the_vendored_copy_is_used_before_node_modules(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    pinned = webassets.pinned_versions()["leaflet"]
    webassets_dir, vendor = tmp_path / "webassets", tmp_path / "vendor"
    for folder, version in ((webassets_dir / "node_modules" / "leaflet", "0.0.1"),
                            (vendor / "leaflet", pinned)):
        folder.mkdir(parents=True)
        (folder / "package.json").write_text(json.dumps({"version": version}), encoding="utf-8")
    shutil.copy(webassets.WEBASSETS / "package.json", webassets_dir / "package.json")
    monkeypatch.setattr(webassets, "WEBASSETS", webassets_dir)
    monkeypatch.setattr(webassets, "VENDOR", vendor)
    assert webassets._package_dir("leaflet", pinned) == vendor / "leaflet"
    (vendor / "leaflet" / "package.json").unlink()
    with pytest.raises(GisplanError, match=re.escape(
            f"web map library leaflet is 0.0.1 (in {webassets_dir / 'node_modules' / 'leaflet'})"
            f" but {pinned} is pinned")):
        webassets._package_dir("leaflet", pinned)


def test_installed_version_other_than_pinned_is_an_error(mini: tuple, no_assets: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webassets, "source_checkout", lambda: True)
    (no_assets / "node_modules" / "leaflet").mkdir(parents=True)
    (no_assets / "node_modules" / "leaflet" / "package.json").write_text(
        json.dumps({"name": "leaflet", "version": "0.0.1"}), encoding="utf-8")
    pinned = webassets.pinned_versions()["leaflet"]
    assert pinned != "0.0.1"
    with pytest.raises(GisplanError, match=re.escape(
            f"web map library leaflet is 0.0.1 (in {no_assets / 'node_modules' / 'leaflet'}) "
            f"but {pinned} is pinned; run `npm ci --prefix {no_assets}`")):
        build_map(*mini)
