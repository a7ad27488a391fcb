import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gisplan.outputs.exports.labels import declutter


def test_higher_priority_wins_and_touching_labels_both_show():
    boxes = [[0, 0, 10, 2], [5, 1, 15, 3], [10, 0, 20, 2]]
    assert declutter(boxes, priority=[1, 2, 0]).tolist() == [False, True, False]
    assert declutter(boxes).tolist() == [True, False, True]  # 0 and 2 only touch


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 100), st.floats(0, 100), st.floats(0.1, 20),
                          st.floats(0.1, 5)), min_size=1, max_size=60),
       st.integers(0, 2**31))
def test_kept_labels_never_overlap_and_each_dropped_one_has_a_reason(raw, seed):
    b = np.array([[x, y, x + w, y + h] for x, y, w, h in raw])
    prio = np.random.default_rng(seed).random(len(b))
    keep = declutter(b, priority=prio)

    def overlap(i, j):
        return (b[i, 0] < b[j, 2] and b[j, 0] < b[i, 2] and b[i, 1] < b[j, 3]
                and b[j, 1] < b[i, 3])

    kept = np.flatnonzero(keep)
    assert not any(overlap(i, j) for i in kept for j in kept if i < j)
    for i in np.flatnonzero(~keep):  # dropped only for a kept label of higher priority
        assert any(overlap(i, j) and prio[j] >= prio[i] for j in kept)
