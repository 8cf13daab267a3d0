"""Bad checkpoints and bad settings give errors that say which path and what is wrong."""

from __future__ import annotations

import json
import pickle
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from core.errors import AvatarError
from core.settings import Settings
from generator.backends.registry import load_backend
from generator.backends.stable_diffusion.backend import StableDiffusionBackend
from generator.backends.stable_diffusion.errors import (
    CheckpointNotFound,
    NotACheckpoint,
    SDConfigError,
    UnknownModelType,
)
from generator.backends.stable_diffusion.families import FAMILIES, detect_family
from generator.backends.stable_diffusion.loader import inspect_single_file, load_model
from generator.backends.stable_diffusion.options import SDOptions
from generator.backends.stable_diffusion.schedulers import SCHEDULERS, make_scheduler
from tests.generator.tiny_sd import save_tiny_folder

UNET_KEY = "model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight"


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread() -> Iterator[None]:
    # Tiny models gain nothing from intra-op threads, and on a busy 2-core machine they lose 4x.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_tiny_folder(tmp_path_factory.mktemp("sd") / "tiny-sd15", "sd15")


def _load(checkpoint: Path, **changes: object) -> None:
    load_model(SDOptions(checkpoint=checkpoint, image_size=32, steps=2, **changes))  # type: ignore[arg-type]


def test_a_missing_checkpoint_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "model.safetensors"
    with pytest.raises(CheckpointNotFound, match=f"checkpoint {missing} does not exist"):
        _load(missing)


def test_no_checkpoint_configured_says_which_setting() -> None:
    with pytest.raises(CheckpointNotFound, match="AVATARBOT_SD_CHECKPOINT"):
        SDOptions.from_settings(Settings(backend="stable-diffusion"))


@pytest.mark.parametrize(
    ("name", "content", "error", "message"),
    [
        ("notes.txt", b"hello", NotACheckpoint, "expected a .safetensors or .ckpt file"),
        ("broken.safetensors", b"this is not a safetensors header", NotACheckpoint, "not a readable checkpoint"),
        ("garbage.ckpt", b"\x00\x01 not a pickle", NotACheckpoint, "not a readable checkpoint"),
    ],
)
def test_files_that_are_not_checkpoints(
    tmp_path: Path, tiny_folder: Path, name: str, content: bytes, error: type, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(error, match=message) as raised:
        _load(path, config_dir=tiny_folder)
    assert str(path) in str(raised.value)


def test_a_pickle_that_is_not_weights_is_refused_without_running_it(tmp_path: Path, tiny_folder: Path) -> None:
    path = tmp_path / "evil.ckpt"
    path.write_bytes(pickle.dumps(print, protocol=2))  # weights_only loading must refuse code objects
    with pytest.raises(NotACheckpoint, match="not a readable checkpoint"):
        _load(path, config_dir=tiny_folder)


def test_a_lora_is_not_a_full_checkpoint(tmp_path: Path, tiny_folder: Path) -> None:
    path = tmp_path / "adapter.safetensors"
    save_file({"lora_unet_down_blocks_0.lora_down.weight": torch.zeros(4, 8)}, str(path))
    with pytest.raises(NotACheckpoint, match="no Stable Diffusion UNet weights.*a LoRA"):
        _load(path, config_dir=tiny_folder)
    torch.save({"state_dict": {"lora.weight": torch.zeros(2)}}, tmp_path / "adapter.ckpt")
    with pytest.raises(NotACheckpoint, match="no Stable Diffusion UNet weights"):
        _load(tmp_path / "adapter.ckpt", config_dir=tiny_folder)


def test_a_single_file_needs_a_config_folder(tmp_path: Path) -> None:
    path = tmp_path / "model.safetensors"
    save_file({UNET_KEY: torch.zeros(4, 768)}, str(path))
    with pytest.raises(UnknownModelType, match="AVATARBOT_SD_CONFIG_DIR"):
        _load(path)
    with pytest.raises(CheckpointNotFound, match="config folder .* does not exist"):
        _load(path, config_dir=tmp_path / "configs")


def test_a_single_file_of_another_family_than_its_config_folder(tmp_path: Path, tiny_folder: Path) -> None:
    path = tmp_path / "sdxl-finetune.safetensors"
    save_file({UNET_KEY: torch.zeros(4, 2048)}, str(path))
    with pytest.raises(UnknownModelType, match=r"looks like SDXL / SDXL-Turbo \(2048-wide.*is for another model type"):
        _load(path, config_dir=tiny_folder)


def test_a_single_file_with_missing_weights_cannot_be_loaded(tmp_path: Path, tiny_folder: Path) -> None:
    path = tmp_path / "half.safetensors"
    save_file({UNET_KEY: torch.zeros(32, 32)}, str(path))  # right width, nearly every weight missing
    with pytest.raises(NotACheckpoint, match="cannot be loaded as a SD 1.5 checkpoint"):
        _load(path, config_dir=tiny_folder)


def test_a_folder_without_model_index_is_not_a_pipeline(tmp_path: Path) -> None:
    with pytest.raises(UnknownModelType, match="no model_index.json"):
        _load(tmp_path)


def test_an_unknown_model_type_is_named(tmp_path: Path) -> None:
    (tmp_path / "model_index.json").write_text(json.dumps({"_class_name": "FluxPipeline"}))
    with pytest.raises(UnknownModelType, match="model type 'FluxPipeline' is not supported"):
        _load(tmp_path)


def test_damaged_folder_weights(tmp_path: Path, tiny_folder: Path) -> None:
    import shutil

    broken = shutil.copytree(tiny_folder, tmp_path / "broken")
    (broken / "unet" / "diffusion_pytorch_model.safetensors").write_bytes(b"truncated")
    with pytest.raises(NotACheckpoint, match=f"{broken} cannot be loaded as a SD 1.5 checkpoint"):
        _load(broken)


def test_family_setting_must_fit_the_checkpoint(tiny_folder: Path) -> None:
    with pytest.raises(UnknownModelType, match="StableDiffusionPipeline but the family setting says SDXL"):
        _load(tiny_folder, family="sdxl")
    with pytest.raises(UnknownModelType, match="unknown model family 'sd3'"):
        _load(tiny_folder, family="sd3")


def test_family_detection_and_defaults() -> None:
    sd, xl = {"_class_name": "StableDiffusionPipeline"}, {"_class_name": "StableDiffusionXLPipeline"}
    assert detect_family(sd, ["anything-v5"]) == "sd15"
    assert detect_family(sd, ["sd-turbo"]) == "sd-turbo"
    assert detect_family(xl, ["animagine-xl"]) == "sdxl"
    assert detect_family(xl, ["models", "SDXL-Turbo"]) == "sdxl-turbo"
    assert detect_family(xl, ["my-model"], override="sdxl-turbo") == "sdxl-turbo"
    assert (FAMILIES["sdxl"].size, FAMILIES["sd15"].size) == (1024, 512)
    assert FAMILIES["sd-turbo"].guidance == 0.0 and FAMILIES["sd-turbo"].steps <= 4


def test_missing_and_unusable_loras(tmp_path: Path, tiny_folder: Path) -> None:
    with pytest.raises(CheckpointNotFound, match="LoRA file .*gone.safetensors does not exist"):
        _load(tiny_folder, loras=((tmp_path / "gone.safetensors", 1.0),))
    unrelated = tmp_path / "unrelated.safetensors"
    save_file({"some.other.weight": torch.zeros(3)}, str(unrelated))
    with pytest.raises(NotACheckpoint, match="LoRA file .*unrelated.safetensors"):
        _load(tiny_folder, loras=((unrelated, 1.0),))


def test_schedulers_by_name(tiny_folder: Path) -> None:
    config = json.loads((tiny_folder / "scheduler" / "scheduler_config.json").read_text())
    for name in SCHEDULERS:
        scheduler = make_scheduler(name, config)
        assert scheduler.config.beta_end == config["beta_end"]  # the checkpoint's noise schedule is kept
    assert make_scheduler("dpm++-2m-karras", config).config.use_karras_sigmas
    assert type(make_scheduler("EulerDiscreteScheduler", config)).__name__ == "EulerDiscreteScheduler"
    with pytest.raises(SDConfigError, match="unknown scheduler 'warp-drive'; use one of: ddim"):
        make_scheduler("warp-drive", config)


@pytest.mark.parametrize(
    ("changes", "message"),
    [({"image_size": 100}, "multiple of 8"), ({"steps": 0}, "at least 1"), ({"photo_strength": 0.0}, "photo strength")],
)
def test_options_that_cannot_work(tiny_folder: Path, changes: dict, message: str) -> None:
    with pytest.raises(SDConfigError, match=message):
        SDOptions(checkpoint=tiny_folder, **changes)


@pytest.mark.parametrize(
    ("hook", "message"),
    [("nodots", "must look like"), ("no_such_pkg.mod:fn", "cannot be imported"), ("json:no_such_fn", "no callable")],
)
def test_bad_safety_hooks(tiny_folder: Path, hook: str, message: str) -> None:
    with pytest.raises(SDConfigError, match=message):
        StableDiffusionBackend.load(SDOptions(checkpoint=tiny_folder, safety_hook=hook))


def test_every_loader_error_is_an_avatar_error() -> None:
    for error in (CheckpointNotFound, NotACheckpoint, UnknownModelType, SDConfigError):
        assert issubclass(error, AvatarError)


def test_registry_loads_the_stable_diffusion_backend(tiny_folder: Path) -> None:
    settings = Settings(backend="stable-diffusion", sd_checkpoint=tiny_folder, sd_image_size=32, num_inference_steps=2)
    backend = load_backend(settings)
    assert backend.name == "stable-diffusion" and backend.model_version.startswith("sd15/")
    assert settings.queue_name == "avatars.stable-diffusion"


def test_inspect_reads_only_the_header(tmp_path: Path) -> None:
    path = tmp_path / "big.safetensors"
    save_file({UNET_KEY: torch.zeros(8, 768), "first_stage_model.x": torch.zeros(2)}, str(path))
    assert inspect_single_file(path)[UNET_KEY] == (8, 768)


def test_a_folder_with_only_fp16_weights_loads(tmp_path: Path) -> None:
    from tests.generator.tiny_sd import build_tiny_pipeline

    build_tiny_pipeline("sd15", workdir=tmp_path / "work").save_pretrained(tmp_path / "half", variant="fp16")
    assert not (tmp_path / "half" / "unet" / "diffusion_pytorch_model.safetensors").exists()
    loaded = load_model(SDOptions(checkpoint=tmp_path / "half", image_size=32, steps=2))
    assert loaded.pipe.unet.dtype == torch.float32  # fp16 files, float32 on the CPU
