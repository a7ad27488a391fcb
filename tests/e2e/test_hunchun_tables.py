"""The Hunchun run's tables, byte for byte, against a recorded fingerprint.

``tests/data/hunchun_tables.sha256`` holds the SHA-256 of every deterministic
table ``gisplan run layers/hunchun2020`` writes. It was recorded before the
package was reorganised into rooms (#16), so a refactoring that changes a
number, a column or a row order fails here. A change meant to alter the
figures (new prices, a new column) records them anew, in its own commit::

    python tests/e2e/test_hunchun_tables.py --record
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
RECORD = REPO / "tests" / "data" / "hunchun_tables.sha256"
TABLES = ("scope.csv", "reconciliation.csv", "funding.csv", "scenarios.csv", "allocation.csv",
          "zone_links.csv", "zone_pipes.csv", "zones.geojson")


def _fingerprints(out: Path) -> dict[str, str]:
    return {name: hashlib.sha256((out / name).read_bytes()).hexdigest() for name in TABLES}


def _run(out: Path) -> None:
    from gisplan.cli.main import main

    assert main(["run", str(REPO / "layers" / "hunchun2020"), "--out", str(out)]) == 0


@pytest.fixture(scope="module")
def hunchun_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("hunchun") / "out"
    _run(out)
    return out


def test_tables_equal_the_recorded_ones(hunchun_run):
    recorded = dict(line.split("  ", 1)[::-1] for line in
                    RECORD.read_text(encoding="utf-8").splitlines() if line.strip())
    assert set(recorded) == set(TABLES)
    changed = {n for n, h in _fingerprints(hunchun_run).items() if recorded[n] != h}
    assert changed == set(), f"tables differ from the recorded run: {sorted(changed)}"


def test_a_changed_byte_is_seen(hunchun_run, tmp_path):
    """The fingerprint sees a one-byte change (the check can fail)."""
    copy = tmp_path / "scope.csv"
    data = bytearray((hunchun_run / "scope.csv").read_bytes())
    data[-2] ^= 1
    copy.write_bytes(bytes(data))
    assert (hashlib.sha256(bytes(data)).hexdigest()
            != _fingerprints(hunchun_run)["scope.csv"])


if __name__ == "__main__" and "--record" in sys.argv:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        _run(Path(tmp) / "out")
        RECORD.write_text("".join(f"{h}  {n}\n" for n, h in
                                  _fingerprints(Path(tmp) / "out").items()), encoding="utf-8")
    print(f"recorded {RECORD}")


def test_report_shows_every_relative_difference(hunchun_run):
    """77 stated figures, all matching: each row shows its relative difference (0.00%)."""
    page = (hunchun_run / "report.html").read_text(encoding="utf-8")
    recon = page[page.index("reconciliation with the plan"):]
    assert recon.count('<td class="num">0.00%</td>') == 77
