"""Ship the evaluation judge: a trained classifier checkpoint -> generator/weights/judge.

    python -m generator.builtin.ship_judge --ckpt runs/classifier/ckpt.pt --data data/dicebear

Writes float16 weights and a config with the judge's test accuracy measured after the
conversion, so the figures in eval.json name the judge they came from.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from generator.builtin.classifier import JUDGE_DIR, load_classifier, save_judge
from generator.builtin.train_classifier import accuracy
from generator.builtin.training import DATA_ROOT, load_checkpoint, load_split


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ckpt", type=Path, required=True, help="the classifier's training checkpoint")
    parser.add_argument("--data", type=Path, default=DATA_ROOT, help="data set whose test split measures it")
    parser.add_argument("--out", type=Path, default=JUDGE_DIR)
    args = parser.parse_args(argv)

    ckpt = load_checkpoint(args.ckpt)
    if ckpt is None:
        raise SystemExit(f"no classifier checkpoint at {args.ckpt}")
    model = load_classifier(args.ckpt)
    save_judge(model, args.out, {"training": {"steps": ckpt.step, **ckpt.config.get("run", {})}})
    shipped = load_classifier(args.out)  # measured as shipped (float16 weights)
    images, tokens = load_split(args.data, "test", size=shipped.sizes.image_size)
    figures = accuracy(shipped, images, tokens)
    config = json.loads((args.out / "config.json").read_text())
    config["test_accuracy"] = {k: round(v, 4) for k, v in figures.items()}
    config["test_images"] = len(images)
    (args.out / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    print(json.dumps(config["test_accuracy"], indent=2))


if __name__ == "__main__":
    main()
