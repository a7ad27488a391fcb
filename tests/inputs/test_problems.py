"""Validation problems: located lines, errors before warnings, long runs summarised, JSON."""

from __future__ import annotations

import json

from gisplan.inputs.problems import TEXT_LIMIT_PER_KIND, Problem, Report


def test_a_problem_says_where_it_is():
    p = Problem("error", "buildings", "bad_value", "value '五' is not a whole number",
                feature_id="b1", field="层数")
    assert p.format() == "ERROR: buildings [b1] field '层数': value '五' is not a whole number"
    assert Problem("warning", "plan.toml", "x", "m").format() == "WARNING: plan.toml: m"
    assert Problem("error", "pipes", "c", "m", feature_id="row 3").format() == \
        "ERROR: pipes [row 3]: m"


def test_errors_stop_warnings_do_not():
    r = Report()
    assert r.ok and r.problems == []
    r.add("warning", "buildings", "outside_communities", "lies in no community",
          feature_id="b4")
    assert r.ok and len(r.warnings) == 1 and r.errors == []
    r.add("error", "pipes", "duplicate_id", "used twice", feature_id="p1", field="pipe_id")
    assert not r.ok
    assert [p.check for p in r.errors] == ["duplicate_id"]
    assert r.errors[0] == Problem("error", "pipes", "duplicate_id", "used twice", "p1",
                                  "pipe_id")


def test_text_lists_errors_first():
    r = Report()
    r.add("warning", "buildings", "w", "first added")
    r.add("error", "pipes", "e", "second added")
    assert r.format_text() == "ERROR: pipes: second added\nWARNING: buildings: first added"


def test_long_runs_of_one_kind_are_summarised():
    r = Report()
    for k in range(TEXT_LIMIT_PER_KIND + 3):
        r.add("error", "buildings", "bad_value", f"bad {k}", feature_id=f"b{k}")
    r.add("error", "pipes", "bad_value", "other layer")
    lines = r.format_text().splitlines()
    assert TEXT_LIMIT_PER_KIND == 20
    assert len(lines) == 20 + 1 + 1
    assert lines[19] == "ERROR: buildings [b19]: bad 19"
    assert lines[20] == "ERROR: pipes: other layer"
    assert lines[21] == ("ERROR: buildings: ... and 3 more 'bad_value' problems "
                         "(use --format json for all)")


def test_json_holds_every_problem_in_chinese_as_is():
    r = Report()
    for k in range(25):
        r.add("error", "社区", "bad_value", "值错误", feature_id=str(k))
    r.add("warning", "buildings", "w", "m")
    text = r.to_json()
    assert "社区" in text and "\\u" not in text
    doc = json.loads(text)
    assert (doc["ok"], doc["errors"], doc["warnings"]) == (False, 25, 1)
    assert len(doc["problems"]) == 26
    assert doc["problems"][0] == {"severity": "error", "layer": "社区", "check": "bad_value",
                                  "message": "值错误", "feature_id": "0", "field": None}
