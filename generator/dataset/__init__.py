"""DiceBear data set: labelled avatars rendered from open-licensed styles, for training the chibi model.

The trainer needs only `load_split`:

    from generator.dataset import load_split
    images, tokens = load_split("data/dicebear", "train", size=128)   # uint8 N×128×128×3, int64 N×8
"""

from generator.dataset.sampler import Sample, draw, seed_for
from generator.dataset.shards import DatasetMissing, load_split

__all__ = ["DatasetMissing", "Sample", "draw", "load_split", "seed_for"]
