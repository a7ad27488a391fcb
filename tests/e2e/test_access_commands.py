"""``gisplan access``, ``gisplan sites`` and ``run`` with roads and services: files, figures
(hand-worked in tests/plans.py), errors that write nothing, and the page in Chromium."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from plans import ACCESS_TOML, access_layers, mini_layers, write_access_plan
from test_webmap_browser import (
    EVIL,
    Browser,
    _local,
    _open,
    browser,  # noqa: F401 - the shared browser fixture
)

from gisplan.cli.main import main


@pytest.fixture(scope="module")
def evil_plan(tmp_path_factory):
    """The access plan with a community and a service id that try to inject."""
    layers = {**mini_layers(), **access_layers()}
    layers["communities"].loc[2, "name"] = EVIL
    layers["services"].loc[0, "service_id"] = "=HYPERLINK(\"x\")"
    return write_access_plan(tmp_path_factory.mktemp("access") / "plan", layers=layers)


@pytest.fixture(scope="module")
def access_out(evil_plan, tmp_path_factory):
    out = tmp_path_factory.mktemp("access_out") / "out"
    assert main(["access", str(evil_plan), "--out", str(out)]) == 0
    return out


def test_access_writes_the_tables(access_out, capsys):
    names = {p.name for p in access_out.iterdir()}
    assert {"access.csv", "access.html", "coverage.csv", "warnings.csv"} <= names
    warned = pd.read_csv(access_out / "warnings.csv", encoding="utf-8-sig")
    assert "k2" in set(warned.astype(str).to_numpy().ravel())  # the analysis' warning too
    raw = (access_out / "access.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads the Chinese
    t = pd.read_csv(access_out / "access.csv", encoding="utf-8-sig", keep_default_na=False)
    assert t.columns.tolist() == ["building_id", "community_id", "kind", "service_id",
                                  "walk_m", "within"]
    b3 = t[(t["building_id"] == "b3") & (t["kind"] == "kindergarten")].iloc[0]
    assert (b3["walk_m"], b3["within"]) == (305.0, False)
    assert b3["service_id"] == "'=HYPERLINK(\"x\")"  # formula neutralised
    c = pd.read_csv(access_out / "coverage.csv", encoding="utf-8-sig")
    city = c[(c["level"] == "city") & (c["kind"] == "kindergarten")].iloc[0]
    assert (city["households"], city["households_within"]) == (78, 54)


def test_summary_and_warnings_on_the_terminal(evil_plan, tmp_path, capsys):
    assert main(["access", str(evil_plan), "--out", str(tmp_path / "o")]) == 0
    out, err = capsys.readouterr()
    assert "幼儿园 kindergarten ≤ 300 m: 54 of 78 households (69.2%)" in out
    assert "services: farther than snap_max_m = 50 m from every walkable road" in err
    assert "(k2)" in err


def test_sites_writes_the_ranked_choice(evil_plan, tmp_path, capsys):
    out = tmp_path / "sites"
    assert main(["sites", str(evil_plan), "--kind", "kindergarten", "--count", "1",
                 "--out", str(out)]) == 0
    t = pd.read_csv(out / "sites.csv", encoding="utf-8-sig")
    assert t.to_dict("records") == [{"rank": 1, "site_id": "s1", "households_newly_within": 24,
                                     "households_within_total": 78}]
    assert "54 → 78 of 78 households with s1" in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "words"), [
    (["--kind", "zoo", "--count", "1"], "--kind zoo: unknown kind of service"),
    (["--kind", "kindergarten", "--count", "0"], "--count must be >= 1"),
    (["--kind", "kindergarten", "--count", "3"], "only 2 candidate sites may take"),
])
def test_sites_mistakes_exit_1_and_write_nothing(evil_plan, tmp_path, capsys, argv, words):
    out = tmp_path / "out"
    assert main(["sites", str(evil_plan), *argv, "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err
    assert not out.exists() and not list(tmp_path.glob(".out.staging-*"))


def test_access_without_roads_exits_1(mini_plan, tmp_path, capsys):
    assert main(["access", str(mini_plan), "--out", str(tmp_path / "out")]) == 1
    assert "[layers] has no roads or services" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_run_adds_access_when_roads_and_services_are_given(tmp_path, capsys):
    plan = write_access_plan(tmp_path / "plan", access=ACCESS_TOML)
    out = tmp_path / "out"
    assert main(["run", str(plan), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    steps = re.findall(r"\[(\d)/9\] (\S+) \S+ \.\.\. \d+\.\d\d s", err)
    assert [int(s) for s, _ in steps] == list(range(1, 10))  # the 9th: 步行可达 access
    assert {"access.csv", "coverage.csv", "access.html", "scope.csv"} <= {
        p.name for p in out.iterdir()}


def test_run_numbers_its_steps_of_one_total_with_access_and_selection(tmp_path, capsys):
    # access is the 9th step of 10 when a selection follows it (it used to say [9/9])
    plan = write_access_plan(tmp_path / "plan", access=ACCESS_TOML
                             + '\n[selection]\nbudgets = { "2021" = 1000000000 }\n')
    assert main(["run", str(plan), "--out", str(tmp_path / "out")]) == 0
    steps = re.findall(r"\[(\d+)/(\d+)\] (\S+)", capsys.readouterr().err)
    assert [(int(k), int(n)) for k, n, _ in steps] == [(k, 10) for k in range(1, 11)]
    assert [name for _, _, name in steps][8:] == ["步行可达", "分年度"]


# --- the page in a real browser ----------------------------------------------------------------

def test_access_page_offline_escaped_and_interactive(browser: Browser, access_out):  # noqa: F811
    html = (access_out / "access.html").read_text(encoding="utf-8")
    assert EVIL not in html  # escaped in the tables and in the JSON
    page, watch = _open(browser, (access_out / "access.html").as_uri())
    try:
        colours = page.evaluate("gisplanAccess.counts()")
        # kindergarten: b1 56 m and b2 116 m within half of 300 m, b3 305 m (<= 1.5x),
        # b4 475 m (> 1.5x)
        assert colours == {"#1a9850": 2, "#fc8d59": 1, "#d73027": 1}
        page.select_option("#gp-access-kind", "1")  # market, 500 m
        assert page.evaluate("gisplanAccess.counts()") == {"#1a9850": 3, "#91cf60": 1}
        page.locator('tr[data-map="kindergarten:C"]').first.click()
        assert page.evaluate("gisplanAccess.k") == 0
        page.wait_for_selector(".leaflet-popup-content", timeout=5_000)
        assert EVIL in page.inner_text(".leaflet-popup-content")  # shown as text
        assert page.locator(".gp-t tbody tr").count() == 2 + 2  # kinds, then the two gaps
        assert watch.requests and all(_local(u) for u in watch.requests)
        watch.check()
    finally:
        page.close()
