"""Evaluate photo reading on labelled photographs and write the figures as JSON.

    python -m photo.evaluate --photos ../shared/eval-photos --out photo/eval_photos.json

`labels.json` in the photo folder maps each file to what a person would say it shows; a list
means any of its values is right, and `skin_group` names a group of tones (see SKIN_GROUPS). An
attribute left open (confidence under its threshold) counts as wrong, so accuracy is honest about
coverage; the JSON also gives accuracy over the photos where the attribute was read.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, TextIO

from core.vocabulary import VALUES
from photo.errors import PhotoError
from photo.image import load_photo
from photo.reading import PhotoReader

# labels.json's `_about`: light = light|fair|tan, medium = tan|brown, dark = brown|dark.
SKIN_GROUPS: Mapping[str, frozenset[str]] = {
    "light": frozenset({"light", "fair", "tan"}),
    "medium": frozenset({"tan", "brown"}),
    "dark": frozenset({"brown", "dark"}),
}
# Labelled attribute -> the reading's attribute.
LABELLED = {
    "hair_color": "hair_color",
    "hair": "hair",
    "glasses": "glasses",
    "expression": "expression",
    "skin_group": "skin",
}
TARGETS = {
    "face_found": 29 / 30,
    "hair_color": 0.80,
    "glasses": 0.95,
    "skin_group": 0.90,
    "expression": 0.80,
    "hair": 0.75,
}


# What was set by looking at these same photos: say so next to the figures, they are not held-out.
METHOD_NOTE = (
    "Tuned on these 30 photos (no held-out set): the hair-colour boundaries in Lab (black L<15 or L<24 with "
    "chroma<8; white chroma<0.25 L; blonde L>=38 or golden chroma>=22), the ITA tan/brown edge (25), the "
    "glasses edge score (1.05; only 2 photos with glasses), the smile-vote scale (400) and the long-hair share "
    "(0.2). Region proportions and the detector settings were set by eye once and not searched."
)


@dataclass(frozen=True)
class PhotoResult:
    name: str
    face: bool
    error: Optional[str]
    seconds: float
    read: dict[str, str]
    guesses: dict[str, Optional[str]]
    confidence: dict[str, float]
    evidence: dict[str, dict[str, float]]


def accepted(label_name: str, label: Any) -> frozenset[str]:
    values = label if isinstance(label, list) else [label]
    if label_name == "skin_group":
        return frozenset().union(*(SKIN_GROUPS[v] for v in values))
    return frozenset(values)


def read_all(folder: Path, names: Sequence[str], reader: PhotoReader) -> list[PhotoResult]:
    results = []
    for name in names:
        try:
            reading = reader.read(load_photo(folder / name))
        except PhotoError as exc:
            results.append(PhotoResult(name, False, str(exc), 0.0, {}, {}, {}, {}))
            continue
        results.append(
            PhotoResult(
                name, True, None, reading.seconds, reading.read, reading.guesses, reading.confidence, reading.evidence
            )
        )
    return results


def score(labels: Mapping[str, Mapping[str, Any]], results: Sequence[PhotoResult]) -> dict[str, Any]:
    by_name = {r.name: r for r in results}
    per_attribute: dict[str, Any] = {}
    for label_name, attribute in LABELLED.items():
        labelled = [(n, accepted(label_name, lab[label_name])) for n, lab in labels.items() if label_name in lab]
        correct = [n for n, ok in labelled if by_name[n].read.get(attribute) in ok]
        answered = [n for n, _ in labelled if attribute in by_name[n].read]
        # The share a reader that always says the same value would get: the bar a method must clear.
        constant = max((sum(v in ok for _, ok in labelled), v) for v in VALUES[attribute]) if labelled else (0, None)
        per_attribute[label_name] = {
            "labelled": len(labelled),
            "correct": len(correct),
            "accuracy": round(len(correct) / len(labelled), 3) if labelled else None,
            "read": len(answered),
            "accuracy_when_read": round(len(correct) / len(answered), 3) if answered else None,
            "always_one_value": {"value": constant[1], "accuracy": round(constant[0] / len(labelled), 3)}
            if labelled
            else None,
            "wrong": sorted(
                (
                    f"{n}: read {by_name[n].read.get(attribute)} (guess {by_name[n].guesses.get(attribute)}), "
                    f"label {sorted(ok)}"
                )
                for n, ok in labelled
                if n not in correct
            ),
        }
    faces = sum(r.face for r in results)
    times = [r.seconds for r in results if r.face]
    return {
        "photos": len(results),
        "face_found": faces,
        "face_found_share": round(faces / len(results), 3) if results else None,
        "attributes": per_attribute,
        "seconds_per_photo": {
            "p50": round(statistics.median(times), 3) if times else None,
            "max": round(max(times), 3) if times else None,
            "note": "reading only (face detection and every attribute), after loading; one CPU thread",
        },
    }


def print_table(summary: Mapping[str, Any], stdout: TextIO) -> None:
    print(
        f"{'attribute':<12} {'correct':>9} {'share':>6} {'target':>6}  read  when-read  always-one-value", file=stdout
    )
    print(
        f"{'face found':<12} {summary['face_found']:>4}/{summary['photos']:<4} "
        f"{summary['face_found_share']:>6.2f} {TARGETS['face_found']:>6.2f}",
        file=stdout,
    )
    for name, row in summary["attributes"].items():
        when_read = "-" if row["accuracy_when_read"] is None else f"{row['accuracy_when_read']:.2f}"
        print(
            f"{name:<12} {row['correct']:>4}/{row['labelled']:<4} {row['accuracy']:>6.2f} {TARGETS[name]:>6.2f}"
            f"  {row['read']:>4}  {when_read:>9}  {row['always_one_value']['accuracy']:.2f} "
            f"({row['always_one_value']['value']})",
            file=stdout,
        )
    timing = summary["seconds_per_photo"]
    print(f"seconds per photo: p50 {timing['p50']}, max {timing['max']}", file=stdout)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, required=True, help="folder with the photos and labels.json")
    parser.add_argument("--out", type=Path, required=True, help="JSON file to write")
    args = parser.parse_args(argv)
    labels = {k: v for k, v in json.loads((args.photos / "labels.json").read_text()).items() if not k.startswith("_")}
    import cv2

    cv2.setNumThreads(1)  # timings as on a busy worker: one thread, no help from idle cores
    reader = PhotoReader()
    results = read_all(args.photos, sorted(labels, key=_natural), reader)
    summary = {"method": METHOD_NOTE, **score(labels, results)}
    summary["per_photo"] = {
        r.name: {"face": r.face, "error": r.error, "read": r.read, "confidence": r.confidence, "evidence": r.evidence}
        for r in results
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=1, sort_keys=False) + "\n")
    print_table(summary, sys.stdout)
    print(f"wrote {args.out}", file=sys.stdout)
    return 0


def _natural(name: str) -> tuple[int, str]:
    digits = "".join(ch for ch in name if ch.isdigit())
    return (int(digits) if digits else 0, name)


if __name__ == "__main__":
    sys.exit(main())
