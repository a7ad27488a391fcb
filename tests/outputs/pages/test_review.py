"""The review's files: review.json, review.csv, ledger.csv, review.geojson and review.html.

The review is that of the review plan of tests/plans.py (14 proposals, 10 rules;
tests/analysis/test_review.py works out each finding by hand). The page's map is
tested in test_review_map.py, the page in a browser in tests/e2e/test_pages_browser.py.
"""

from __future__ import annotations

import dataclasses
import json
import re

import pandas as pd
import pytest
from plans import MARKUP, PROPOSALS, RULES, write_review_files
from rfc7946 import check_rfc7946

from gisplan.analysis.review import FINDING_COLUMNS, review_proposals
from gisplan.cli.main import main
from gisplan.inputs.proposals import load_rules, read_fire_lanes, read_markup, read_proposal
from gisplan.inputs.validation import load_layers
from gisplan.outputs.pages.review import markup_table, review_html, summary, write_review

EVIL = "<img src=x onerror=alert(1)>"
#: Checks failed, worked out in tests/analysis/test_review.py: inside_community (2),
#: building_overlap (2), building_setback (3), pipe setbacks (2), proposal_overlap (2),
#: illegal_structure (1), fire_lane_clear_width (2).
FAILED_CHECKS = 14


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return write_review_files(tmp_path_factory.mktemp("review_page"))


@pytest.fixture(scope="module")
def review(files):
    root, plan = files
    layers = load_layers(plan)
    markup = root / "markup.geojson"
    markup.write_text(json.dumps(MARKUP, ensure_ascii=False), encoding="utf-8")
    return review_proposals(layers, read_proposal(root / "proposal.geojson", layers),
                            rules=load_rules(),
                            fire_lanes=read_fire_lanes(root / "lanes.geojson", layers),
                            markup=read_markup(markup, layers))


def test_summary_by_hand(review):
    assert summary(review) == {
        "proposals": 14, "proposals_passed": 2, "proposals_failed": 12,  # fine, lane_ok pass
        "checks": 14 * 10, "checks_failed": FAILED_CHECKS,
        "ledger_structures": 2, "ledger_area_m2": 200.0,  # s1 and s3, 10x10 m each
        "markup": 2}


def test_markup_table_locates_each_mark(review):
    table = markup_table(review)
    assert table["mark_id"].tolist() == ["M1", "M2"]
    assert table["geometry_type"].tolist() == ["Point", "Polygon"]
    assert table.loc[0, ["lon", "lat"]].tolist() == pytest.approx([130.3588, 42.8596])
    empty = markup_table(dataclasses.replace(review, markup=None))
    assert empty.empty and list(empty.columns) == list(table.columns)


def test_page_marks_failed_rows_and_links_them_to_the_map(review):
    page = review_html(review)
    assert len(re.findall(r'data-result="fail" class="fail">', page)) == FAILED_CHECKS
    assert len(re.findall(r'data-result="pass" class="">', page)) == 14 * 10 - FAILED_CHECKS
    # one conclusion row and one printable opinion per proposal
    assert page.count('<tr data-map="proposal:') == 14 + 14 * 10
    assert page.count('<article class="gp-opinion"') == 14
    assert page.count('data-map="structure:') == 2 and page.count('data-map="mark:') == 2
    assert '<section id="map"></section>' in page


def test_page_escapes_everything_but_the_trusted_map(review):
    evil = dataclasses.replace(review, plan_name=EVIL, inputs={"proposal": EVIL})
    page = review_html(evil, map_html=lambda r: '<div id="the-map"></div>')
    # title, heading, the input, and the plan line of each of the 14 opinions
    assert EVIL not in page and page.count("&lt;img src=x onerror=alert(1)&gt;") == 3 + 14
    assert '<section id="map"><div id="the-map"></div></section>' in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    from gisplan.outputs.pages.review import SCRIPT

    assert page.count("<script>") == 1 and f"<script>{SCRIPT}</script>" in page


def test_written_files_hold_the_same_rows(review, tmp_path):
    written = write_review(review, tmp_path / "out")
    assert [p.name for p in written] == ["review.json", "review.csv", "ledger.csv",
                                         "review.geojson", "review.html"]
    csv = pd.read_csv(tmp_path / "out" / "review.csv", encoding="utf-8-sig")
    assert len(csv) == 14 * 10 and int((~csv["passed"]).sum()) == FAILED_CHECKS
    ledger = pd.read_csv(tmp_path / "out" / "ledger.csv", encoding="utf-8-sig")
    assert ledger["structure_id"].tolist() == ["s1", "s3"]
    doc = check_rfc7946(tmp_path / "out" / "review.geojson")
    verdict = {f["properties"]["facility_id"]: f["properties"]["passed"]
               for f in doc["features"]}
    assert sorted(k for k, v in verdict.items() if v) == ["fine", "lane_ok"]


def test_cli_review_writes_json_csv_html_and_lists_markup(files, tmp_path):
    root, plan = files
    markup = tmp_path / "markup.geojson"
    markup.write_text(json.dumps(MARKUP, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["review", str(plan), "--proposal", str(root / "proposal.geojson"),
                 "--fire-lanes", str(root / "lanes.geojson"), "--markup", str(markup),
                 "--out", str(out)]) == 0  # exit 0 whatever the verdict
    assert sorted(p.name for p in out.iterdir()) == [
        ".gisplan-files", "ledger.csv", "review.csv", "review.geojson", "review.html",
        "review.json", "warnings.csv"]
    csv = pd.read_csv(out / "review.csv", encoding="utf-8-sig")
    assert list(csv.columns[:6]) == FINDING_COLUMNS
    assert len(csv) == len(PROPOSALS) * len(RULES)
    row = csv.set_index(["rule", "feature_id"]).loc[("building_setback", "charger")]
    assert (row["measured"], row["limit"], row["passed"]) == (2.0, 3.0, False)
    doc = json.loads((out / "review.json").read_text(encoding="utf-8"))
    assert doc["summary"]["checks"] == len(csv)
    assert doc["summary"]["proposals_passed"] == 2  # fine, lane_ok
    assert [m["reviewer"] for m in doc["markup"]] == ["张工", "李工"]
    first = doc["markup"][0]
    assert (first["mark_id"], first["comment"], first["status"]) == ("M1", "充电桩离楼太近",
                                                                     "open")
    assert first["lon"] == pytest.approx(130.3588) and first["time"].startswith("2024-05-01")
    assert [r["structure_id"] for r in doc["ledger"]] == ["s1", "s3"]
    page = (out / "review.html").read_text(encoding="utf-8")
    start = page.index('<section id="map">')
    end = page.index("</section>", start)
    tables = page[:start] + page[end:]  # the map is tested on its own
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in tables
    from gisplan.outputs.pages.review import SCRIPT

    tables = tables.replace(f"<script>{SCRIPT}</script>", "")  # the page's own filter script
    assert "<script" not in tables and "http://" not in tables and "https://" not in tables
    assert "GisplanReview.init" in page[start:end] and "<script>alert(1)" not in page
    assert "充电桩离楼太近" in page and "building_setback" in page
    check_rfc7946(out / "review.geojson")
