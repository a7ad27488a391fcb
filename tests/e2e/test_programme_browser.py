"""programme.html and report.html of the Hunchun programme in headless Chromium (issue #13).

Same browser, flags and checks as test_webmap_browser.py: anything leaving the machine is
aborted and fails the test, as do console errors and dialogs.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import HUNCHUN
from test_webmap_browser import (
    Browser,
    _local,
    _open,
    browser,  # noqa: F401 - the shared browser fixture
)

from gisplan.cli.main import main
from gisplan.outputs.pages.programme import phase_colors


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("programme") / "out"
    assert main(["programme", str(HUNCHUN), "--as-of", "2020-08-25", "--out", str(out)]) == 0
    return out


def test_programme_page_opens_offline_with_map_and_charts(browser: Browser, site) -> None:  # noqa: F811
    page, watch = _open(browser, (site / "programme.html").as_uri())
    try:
        assert page.locator("svg.gp-gantt-svg").count() == 3
        assert page.locator(".gp-gantt-svg .gp-asof").count() == 3
        marks = page.evaluate("""() => Array.from(document.querySelectorAll('g.gp-ms'))
            .filter((g) => g.dataset.status === 'overdue').map((g) => g.dataset.milestone)""")
        assert marks == ["C3-F"]
        colours = page.evaluate("gisplanProgramme.colors()")
        assert len(colours) == 17
        # every community is in P2, whose phase (工程建设许可, works permit) is the least
        # advanced as of 2020-08-25
        phases = ["前期准备阶段 preparation", "立项用地规划许可阶段 project approval and land-use "
                  "permit", "工程建设许可阶段 works permit"]
        assert set(colours.values()) == {phase_colors(phases)[phases[2]]}
        page.locator(".leaflet-control-layers-selector").nth(1).check()  # P1's view
        p1 = page.evaluate("gisplanProgramme.colors()")
        assert sorted(p1.values()).count(phase_colors(phases)[""]) == 11  # P1: 6 communities
        assert page.locator(".gp-legend").count() == 1
        assert watch.requests and all(_local(u) for u in watch.requests)
        watch.check()
    finally:
        page.close()
