"""The DiceBear data-set tool: label mapping against the real schemas, sampling, rendering, loading."""

from __future__ import annotations

import itertools
import json
import os
import random
import shutil

import numpy as np
import pytest

from core.palette import PALETTES
from core.vocabulary import ATTRIBUTES, VOCABULARY
from generator.dataset import draw, load_split, seed_for
from generator.dataset.archive import export_svgs, import_svgs
from generator.dataset.mattes import load_mattes, render_mattes
from generator.dataset.node_bridge import dicebear_schemas, render_svgs
from generator.dataset.raster import rasterise, without_background
from generator.dataset.render import render_dataset
from generator.dataset.sampler import constraints
from generator.dataset.shards import DatasetMissing, read_svg_shard, svg_path
from generator.dataset.styles import STYLES

LABEL_ATTRIBUTES = ("hair", "expression", "glasses", "accessory")


def _node_or_fail() -> None:
    # In CI node is part of the image: a missing node must fail there, not skip.
    if shutil.which("node") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Node.js is needed to render DiceBear avatars")
        pytest.skip("Node.js is not installed")


@pytest.fixture(scope="module")
def schemas() -> dict:
    _node_or_fail()
    return dicebear_schemas(list(STYLES))


def _enum(schema: dict, option: str) -> list[str]:
    return schema[option]["items"]["enum"]


# -- the mapping agrees with the vocabulary and with DiceBear's schemas ------------------


def test_every_vocabulary_style_has_a_mapping() -> None:
    assert set(STYLES) == set(VOCABULARY.styles)


@pytest.mark.parametrize("style", VOCABULARY.styles)
def test_style_maps_exactly_the_values_it_offers(style: str) -> None:
    mapping = STYLES[style]
    for attribute in LABEL_ATTRIBUTES:
        assert set(mapping.values[attribute]) == set(VOCABULARY.offered(style, attribute)), attribute
    for attribute in PALETTES:
        if attribute != "background":
            assert mapping.colours[attribute], f"{style} has no option for {attribute}"
        for value in VOCABULARY.offered(style, attribute):
            assert PALETTES[attribute][value], f"no hex for {attribute}={value}"


@pytest.mark.parametrize("style", VOCABULARY.styles)
def test_mapped_options_and_variants_exist_in_the_style_schema(style: str, schemas: dict) -> None:
    mapping, schema = STYLES[style], schemas[style]
    for attribute, per_value in mapping.values.items():
        for value, options in per_value.items():
            for option, variants in options.items():
                assert variants, f"{style} {attribute}={value} maps {option} to nothing"
                unknown = set(variants) - set(_enum(schema, option))
                assert not unknown, f"{style} {attribute}={value}: {option} has no variants {sorted(unknown)}"
    for option, variants in mapping.base.items():
        assert set(variants) <= set(_enum(schema, option)), option
    for option, reserved in mapping.reserved.items():
        assert set(reserved) <= set(_enum(schema, option)), option
    for names in mapping.colours.values():
        for name in names:
            assert schema[name]["type"] == "array" and "pattern" in schema[name]["items"], name
    for option in mapping.fixed:
        assert option in schema, option
    # Every probability-gated option is listed, so nothing unlabelled (beards...) slips in.
    gated = {name.removesuffix("Probability") for name in schema if name.endswith("Probability")}
    assert set(mapping.optional) == gated


@pytest.mark.parametrize("style", VOCABULARY.styles)
def test_every_offered_value_can_be_drawn(style: str) -> None:
    # Some combinations are impossible (flowers on short adventurer hair), but every value
    # must appear in at least one drawable combination, and reserved variants must stay
    # inside options that a label always constrains.
    mapping = STYLES[style]
    offered = {a: VOCABULARY.offered(style, a) for a in LABEL_ATTRIBUTES}
    drawable = {a: set() for a in LABEL_ATTRIBUTES}
    for combo in itertools.product(*offered.values()):
        labels = dict(zip(LABEL_ATTRIBUTES, combo, strict=True))
        allowed = constraints(mapping, labels)
        assert set(mapping.reserved) <= set(allowed)
        if all(allowed.values()):
            for attribute, value in labels.items():
                drawable[attribute].add(value)
    for attribute in LABEL_ATTRIBUTES:
        assert drawable[attribute] == set(offered[attribute]), f"{style} {attribute}"


# -- sampling -------------------------------------------------------------------------


def test_samples_are_deterministic_and_fully_labelled() -> None:
    seeds = random.Random(7).sample(range(10**6), 300)
    for seed in seeds:
        sample = draw(seed)
        assert draw(seed) == sample
        assert set(sample.labels) == set(ATTRIBUTES)
        for attribute, value in sample.labels.items():
            assert value in VOCABULARY.offered(sample.style, attribute), (attribute, value)
        assert 0 not in sample.tokens
        assert sample.options["seed"] == str(seed)


def test_labels_cover_every_value_and_style() -> None:
    samples = [draw(seed) for seed in range(3000)]
    for attribute in ATTRIBUTES:
        seen = {s.labels[attribute] for s in samples}
        assert seen == set(VOCABULARY.values[attribute]), attribute


def test_unlabelled_optional_parts_are_switched_off() -> None:
    adventurers = [s for s in map(draw, range(1000)) if s.style == "adventurer"]
    sample = next(s for s in adventurers if s.labels["glasses"] == "none")
    assert sample.options["glassesProbability"] == 0
    with_glasses = next(s for s in adventurers if s.labels["glasses"] == "glasses")
    assert with_glasses.options["glassesProbability"] == 100
    assert with_glasses.options["glasses"][0] in STYLES["adventurer"].values["glasses"]["glasses"]["glasses"]


def test_split_seed_ranges_are_disjoint() -> None:
    assert seed_for("val", 0) > seed_for("train", 99_999_999)
    assert seed_for("test", 0) > seed_for("val", 99_999_999)
    with pytest.raises(ValueError, match="unknown split"):
        seed_for("holdout", 0)


# -- rendering for real ------------------------------------------------------------------


def test_node_renders_labelled_svgs_in_one_batch() -> None:
    _node_or_fail()
    samples = [draw(seed) for seed in range(16)]
    svgs = dict(render_svgs((s.seed, s.style, s.options) for s in samples))
    assert sorted(svgs) == list(range(16))
    for sample in samples:
        assert svgs[sample.seed].startswith("<svg")
        # The background is the labelled pastel, in the SVG itself.
        assert sample.options["backgroundColor"][0] in svgs[sample.seed].lower()
        pixels = rasterise(svgs[sample.seed], 32)
        assert pixels.shape == (32, 32, 3) and pixels.dtype == np.uint8


def test_render_resume_load_and_export_roundtrip(tmp_path) -> None:
    _node_or_fail()
    root = tmp_path / "set"
    render_dataset(root, {"train": 12, "val": 4}, sizes=[32], workers=1, progress=False)
    images, tokens = load_split(root, "train", 32)
    assert images.shape == (12, 32, 32, 3) and images.dtype == np.uint8
    assert tokens.shape == (12, len(ATTRIBUTES)) and tokens.dtype == np.int64
    assert (tokens > 0).all()
    assert tokens[3].tolist() == list(draw(seed_for("train", 3)).tokens)
    # Pictures differ from sample to sample and are not blank.
    assert len({img.tobytes() for img in images}) == 12 and images.std() > 20

    # Resuming skips what exists: the file is left untouched.
    shard = root / "train" / "00000.32px.npz"
    before = shard.stat().st_mtime_ns
    render_dataset(root, {"train": 12, "val": 4}, sizes=[32], workers=1, progress=False)
    assert shard.stat().st_mtime_ns == before

    # Another size comes from the stored SVGs, and so does an exported archive, with no node.
    archive = tmp_path / "svgs.tar.xz"
    assert export_svgs(root, archive, progress=False) == 2
    other = tmp_path / "elsewhere"
    assert import_svgs(archive, other, progress=False) == 2
    assert svg_path(other, "val", 0).is_file()
    manifest = json.loads((other / "manifest.json").read_text())
    assert manifest["splits"]["train"]["count"] == 12


def test_rasterising_stored_svgs_needs_no_node(tmp_path, monkeypatch) -> None:
    _node_or_fail()
    root = tmp_path / "set"
    render_dataset(root, {"val": 3}, sizes=[16], workers=1, progress=False)
    monkeypatch.setattr("generator.dataset.render.render_svgs", _no_node)
    render_dataset(root, {"val": 3}, sizes=[24], workers=1, progress=False)
    small, tokens_small = load_split(root, "val", 16)
    large, tokens_large = load_split(root, "val", 24)
    assert large.shape == (3, 24, 24, 3)
    assert (tokens_small == tokens_large).all()


def _no_node(*args, **kwargs):
    raise AssertionError("node was called although the SVGs were stored")


def test_loading_a_missing_data_set_says_so(tmp_path) -> None:
    with pytest.raises(DatasetMissing, match="render it first"):
        load_split(tmp_path, "train")


def test_mattes_are_the_characters_alpha(tmp_path) -> None:
    _node_or_fail()
    root = tmp_path / "set"
    count = 2 * len(VOCABULARY.styles)
    render_dataset(root, {"val": count}, sizes=[32], workers=1, progress=False)
    assert render_mattes(root, "val", 32, workers=1) == count
    alpha = load_mattes(root, "val", 32)
    assert alpha.shape == (count, 32, 32) and alpha.dtype == np.uint8
    # Every SVG lost its background: the corners are clear, the centre (the face) is drawn.
    assert (alpha[:, 0, 0] == 0).all() and (alpha[:, 0, -1] == 0).all()
    assert (alpha[:, 16, 16] == 255).all()
    # Where the matte is fully opaque the avatar is unchanged by removing the background.
    images, _ = load_split(root, "val", 32)
    records = read_svg_shard(svg_path(root, "val", 0))
    again = rasterise(without_background(records[0]["svg"]), 32)
    opaque = alpha[0] == 255
    assert np.abs(again[opaque].astype(int) - images[0][opaque].astype(int)).max() <= 1
    assert load_mattes(root, "val", 32, limit=3).shape[0] == 3


def test_an_svg_without_a_background_rect_is_refused() -> None:
    with pytest.raises(ValueError, match="no DiceBear background"):
        without_background('<svg xmlns="http://www.w3.org/2000/svg"><g mask="url(#viewboxMask)"><path/></g></svg>')


def test_missing_mattes_say_how_to_make_them(tmp_path) -> None:
    with pytest.raises(DatasetMissing, match="mattes"):
        load_mattes(tmp_path, "train", 256)
