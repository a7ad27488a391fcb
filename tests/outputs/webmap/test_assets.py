"""Leaflet and its plugins: inlined from the pinned npm packages (offline), or linked
from a CDN; the page's own scripts; CSS images as data: URIs."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from plans import load_scoped, write_plan

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
    assert len(app_files().split("\n<")) >= 5  # app.css, kit.js, app.js, popups, panels


def test_missing_assets_name_the_install_command(mini: tuple, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture) -> None:
    empty = tmp_path / "webassets"
    empty.mkdir()
    shutil.copy(webassets.WEBASSETS / "package.json", empty / "package.json")
    monkeypatch.setattr(webassets, "WEBASSETS", empty)
    webassets.inline_assets.cache_clear()
    try:
        with pytest.raises(GisplanError, match=re.escape("npm ci --prefix gisplan/webassets")):
            build_map(*mini)
        plan = write_plan(tmp_path / "plan")
        assert cli.main(["map", str(plan), "--out", str(tmp_path / "out")]) == 1
        err = capsys.readouterr().err
        assert "npm ci --prefix gisplan/webassets" in err and "Traceback" not in err
        assert not (tmp_path / "out").exists()
    finally:
        webassets.inline_assets.cache_clear()


def test_installed_version_other_than_pinned_is_an_error(mini: tuple, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "webassets"
    (fake / "node_modules" / "leaflet").mkdir(parents=True)
    shutil.copy(webassets.WEBASSETS / "package.json", fake / "package.json")
    (fake / "node_modules" / "leaflet" / "package.json").write_text(
        json.dumps({"name": "leaflet", "version": "0.0.1"}), encoding="utf-8")
    pinned = webassets.pinned_versions()["leaflet"]
    assert pinned != "0.0.1"
    monkeypatch.setattr(webassets, "WEBASSETS", fake)
    webassets.inline_assets.cache_clear()
    try:
        with pytest.raises(GisplanError, match=re.escape(
                f"web map library leaflet is 0.0.1 but {pinned} is pinned; "
                "run `npm ci --prefix gisplan/webassets`")):
            build_map(*mini)
    finally:
        webassets.inline_assets.cache_clear()

