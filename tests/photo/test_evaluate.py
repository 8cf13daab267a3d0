"""Scoring the evaluation: lists mean any value, skin groups map onto tones, open counts as wrong."""

from __future__ import annotations

from core.vocabulary import VALUES
from photo.evaluate import SKIN_GROUPS, PhotoResult, accepted, score


def result(name: str, read: dict[str, str], face: bool = True) -> PhotoResult:
    return PhotoResult(name, face, None if face else "no face", 0.1, read, dict(read), {}, {})


def test_skin_groups_name_vocabulary_tones() -> None:
    assert all(group <= set(VALUES["skin"]) for group in SKIN_GROUPS.values())
    assert accepted("skin_group", "medium") == {"tan", "brown"}
    assert accepted("hair_color", ["brown", "black"]) == {"brown", "black"}


def test_score_counts_lists_groups_and_open_readings() -> None:
    labels = {
        "a.jpg": {"hair_color": ["brown", "black"], "skin_group": "light", "glasses": "none"},
        "b.jpg": {"hair_color": "blonde", "skin_group": "medium", "glasses": "glasses"},
        "c.jpg": {"hair_color": "white", "skin_group": "light"},
    }
    results = [
        result("a.jpg", {"hair_color": "black", "skin": "tan", "glasses": "none"}),
        result("b.jpg", {"skin": "tan"}),  # hair colour and glasses left open: wrong, not skipped
        result("c.jpg", {}, face=False),
    ]
    summary = score(labels, results)

    assert summary["face_found"] == 2 and summary["face_found_share"] == round(2 / 3, 3)
    hair = summary["attributes"]["hair_color"]
    assert (hair["correct"], hair["labelled"], hair["read"]) == (1, 3, 1)
    assert hair["accuracy_when_read"] == 1.0
    assert summary["attributes"]["skin_group"]["correct"] == 2
    assert summary["attributes"]["glasses"]["accuracy"] == 0.5


def test_score_says_what_always_answering_one_value_would_get() -> None:
    labels = {"a.jpg": {"glasses": "none"}, "b.jpg": {"glasses": "none"}, "c.jpg": {"glasses": "glasses"}}
    summary = score(labels, [result(n, {"glasses": "none"}) for n in labels])
    assert summary["attributes"]["glasses"]["always_one_value"] == {"value": "none", "accuracy": round(2 / 3, 3)}
