"""The Stable Diffusion backend on tiny random pipelines built offline (no real weights here).

The tiny SD 1.5 pipeline is saved as a diffusers folder and as one original-layout
.safetensors file; both load through the backend and must render the same pixels.
"""

from __future__ import annotations

import io
import shutil
import socket
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
import torch
from diffusers import StableDiffusionPipeline
from PIL import Image

from core.settings import Settings
from core.spec import parse_spec
from core.uploads import InvalidUpload
from generator.backends.base import GeneratorBackend, MixSource, RenderRequest
from generator.backends.stable_diffusion.backend import StableDiffusionBackend
from generator.backends.stable_diffusion.errors import SDConfigError
from generator.backends.stable_diffusion.loader import hub_offline
from generator.backends.stable_diffusion.options import SDOptions
from tests.generator.tiny_sd import (
    TINY_IMAGE_SIZE,
    save_single_file,
    save_tiny_folder,
    save_tiny_lora,
)

SPEC = parse_spec({"style": "adventurer", "hair": "long", "hair_color": "pink", "background": "mint"})
OTHER_SPEC = parse_spec({"hair": "curly", "hair_color": "blue", "expression": "wink"})


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread() -> Iterator[None]:
    # Tiny models gain nothing from intra-op threads, and on a busy 2-core machine they lose 4x.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("sd-models")
    folder = save_tiny_folder(root / "tiny-sd15", "sd15")
    pipe = StableDiffusionPipeline.from_pretrained(folder, local_files_only=True)
    return {
        "folder": folder,
        "single": save_single_file(pipe, root / "tiny-chibi.safetensors"),
        "lora": save_tiny_lora(folder, root / "loras" / "chibi-lora.safetensors"),
        "flagging": save_tiny_folder(root / "tiny-sd15-checked", "sd15", safety_checker="flag"),
        "passing": save_tiny_folder(root / "tiny-sd15-passing", "sd15", safety_checker="pass"),
        "sdxl": save_tiny_folder(root / "tiny-sdxl", "sdxl"),
    }


def _options(checkpoint: Path, **changes: object) -> SDOptions:
    return SDOptions(checkpoint=checkpoint, image_size=TINY_IMAGE_SIZE, steps=2, **changes)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def backend(models: dict[str, Path]) -> StableDiffusionBackend:
    return StableDiffusionBackend.load(_options(models["folder"]))


def _pixels(image: Image.Image) -> np.ndarray:
    return np.asarray(image, dtype=np.int16)


def _same(a: Image.Image, b: Image.Image, tolerance: int = 0) -> bool:
    return int(np.abs(_pixels(a) - _pixels(b)).max()) <= tolerance


def _photo(color: tuple[int, int, int]) -> Image.Image:
    picture = Image.new("RGB", (96, 64), color)
    picture.paste((255, 255, 255), (30, 10, 60, 50))
    return picture


def test_backend_meets_the_worker_interface(backend: StableDiffusionBackend) -> None:
    assert isinstance(backend, GeneratorBackend)
    assert backend.name == "stable-diffusion"
    assert backend.kinds == {"create", "reroll", "variation", "mix", "photo", "edit", "pack"}
    assert backend.model_version.startswith("sd15/tiny-sd15@") and len(backend.model_version.split("@")[1]) == 12
    assert backend.pipeline.unet.dtype == torch.float32  # CPU: float32


def test_folder_and_single_file_render_the_same_pixels(models: dict[str, Path], backend: StableDiffusionBackend):
    single = StableDiffusionBackend.load(_options(models["single"], config_dir=models["folder"]))
    assert single.family == "sd15" and single.model_version.startswith("sd15/tiny-chibi@")
    request = [RenderRequest(spec=SPEC, seed=7)]
    assert _same(single.render(request).images[0], backend.render(request).images[0])


def test_a_mixed_batch_renders_in_one_text_to_image_call(
    backend: StableDiffusionBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    original = StableDiffusionPipeline.__call__

    def counting(self, *args, **kwargs):
        calls.append(kwargs["latents"].shape[0])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(StableDiffusionPipeline, "__call__", counting)
    requests = [
        RenderRequest(spec=SPEC, seed=1),
        RenderRequest(spec=SPEC, seed=2, kind="reroll"),
        RenderRequest(spec=SPEC, seed=1, kind="variation", variation_seed=5, strength=0.4),
        RenderRequest(spec=SPEC, seed=1, kind="mix", mix_with=MixSource(OTHER_SPEC, 9), mix_ratio=0.5),
    ]
    result = backend.render(requests)
    images = result.images
    assert calls == [4]
    assert [image.size for image in images] == [(TINY_IMAGE_SIZE, TINY_IMAGE_SIZE)] * 4
    assert result.flagged == [False] * 4  # no checker, no hook
    assert not any(_same(images[0], other) for other in images[1:])


def test_seeds_reproduce_and_rerolls_differ(backend: StableDiffusionBackend) -> None:
    first, reroll = backend.render([RenderRequest(spec=SPEC, seed=11), RenderRequest(spec=SPEC, seed=12)]).images
    again, reroll_again = backend.render([RenderRequest(spec=SPEC, seed=11), RenderRequest(spec=SPEC, seed=12)]).images
    assert _same(first, again) and _same(reroll, reroll_again)
    assert not _same(first, reroll, tolerance=8)
    # Alone or in another batch, a seed gives (up to float rounding) the same picture.
    alone = backend.render([RenderRequest(spec=SPEC, seed=11)]).images[0]
    assert _same(first, alone, tolerance=2)


def test_variations_start_from_the_original_and_reproduce(backend: StableDiffusionBackend) -> None:
    original = backend.render([RenderRequest(spec=SPEC, seed=21)]).images[0]

    def variation(strength: float, variation_seed: int = 3) -> Image.Image:
        request = RenderRequest(spec=SPEC, seed=21, kind="variation", variation_seed=variation_seed, strength=strength)
        return backend.render([request]).images[0]

    assert _same(variation(0.0), original, tolerance=1)
    slight, strong = variation(0.2), variation(0.9)
    assert _same(variation(0.2), slight)
    assert not _same(strong, original, tolerance=8)
    # A slight variation stays nearer the original than a strong one.
    assert np.abs(_pixels(slight) - _pixels(original)).mean() < np.abs(_pixels(strong) - _pixels(original)).mean()
    assert not _same(variation(0.9, variation_seed=4), strong)


def test_mix_ends_are_the_two_avatars(backend: StableDiffusionBackend) -> None:
    a, b = backend.render([RenderRequest(spec=SPEC, seed=31), RenderRequest(spec=OTHER_SPEC, seed=32)]).images

    def mix(ratio: float) -> Image.Image:
        request = RenderRequest(spec=SPEC, seed=31, kind="mix", mix_with=MixSource(OTHER_SPEC, 32), mix_ratio=ratio)
        return backend.render([request]).images[0]

    assert _same(mix(0.0), a, tolerance=2)
    assert _same(mix(1.0), b, tolerance=2)
    middle = mix(0.5)
    assert not _same(middle, a, tolerance=4) and not _same(middle, b, tolerance=4)


def test_photo_to_avatar_uses_the_picture_and_the_strength(backend: StableDiffusionBackend) -> None:
    def photo(color: tuple[int, int, int], strength: float, seed: int = 41) -> Image.Image:
        request = RenderRequest(spec=SPEC, seed=seed, kind="photo", strength=strength, init_image=_photo(color))
        return backend.render([request]).images[0]

    red = photo((255, 0, 0), 0.5)
    assert red.size == (TINY_IMAGE_SIZE, TINY_IMAGE_SIZE)
    assert _same(photo((255, 0, 0), 0.5), red)
    assert not _same(photo((0, 0, 255), 0.5), red, tolerance=8)  # the picture matters
    assert not _same(photo((255, 0, 0), 1.0), red, tolerance=2)  # and so does the strength (2 steps: 0.5 or 1)
    # Photos and text-to-image requests share a batch; results come back in request order.
    mixed = backend.render(
        [
            RenderRequest(spec=SPEC, seed=41, kind="photo", strength=0.5, init_image=_photo((255, 0, 0))),
            RenderRequest(spec=SPEC, seed=11),
        ]
    ).images
    assert _same(mixed[0], red, tolerance=2)
    assert _same(mixed[1], backend.render([RenderRequest(spec=SPEC, seed=11)]).images[0], tolerance=2)


def test_photos_get_the_upload_checks(backend: StableDiffusionBackend) -> None:
    huge = Image.new("RGB", (4100, 16))
    with pytest.raises(InvalidUpload, match="at most 4096 px a side"):
        backend.render([RenderRequest(spec=SPEC, seed=1, kind="photo", strength=0.5, init_image=huge)])


def test_a_lora_loads_and_changes_the_output(models: dict[str, Path], backend: StableDiffusionBackend) -> None:
    request = [RenderRequest(spec=SPEC, seed=51)]
    plain = backend.render(request).images[0]
    with_lora = StableDiffusionBackend.load(_options(models["folder"], loras=((models["lora"], 1.0),)))
    assert with_lora.model_version.endswith("+1lora") and with_lora.model_version != backend.model_version
    assert not _same(with_lora.render(request).images[0], plain, tolerance=8)
    switched_off = StableDiffusionBackend.load(_options(models["folder"], loras=((models["lora"], 0.0),)))
    assert _same(switched_off.render(request).images[0], plain, tolerance=1)


def test_checkpoint_safety_checker_flags_without_blacking_out(models: dict[str, Path]) -> None:
    flagging = StableDiffusionBackend.load(_options(models["flagging"]))
    flagged = flagging.render([RenderRequest(spec=SPEC, seed=1), RenderRequest(spec=SPEC, seed=2)])
    assert flagged.flagged == [True, True]
    assert all(_pixels(image).max() > 0 for image in flagged.images)  # kept for the moderators to see
    passing = StableDiffusionBackend.load(_options(models["passing"]))
    assert passing.render([RenderRequest(spec=SPEC, seed=1)]).flagged == [False]


hook_calls: list[int] = []


def flag_odd_seeds_hook(images: Sequence[Image.Image]) -> list[bool]:
    """A stand-in image classifier: flags the 2nd, 4th... image of each batch."""
    hook_calls.append(len(images))
    return [index % 2 == 1 for index in range(len(images))]


def test_safety_hook_from_settings_flags_images(models: dict[str, Path]) -> None:
    settings = Settings(
        backend="stable-diffusion",
        sd_checkpoint=models["folder"],
        sd_image_size=TINY_IMAGE_SIZE,
        num_inference_steps=2,
        sd_safety_hook=f"{__name__}:flag_odd_seeds_hook",
    )
    hooked = StableDiffusionBackend.from_settings(settings)
    hook_calls.clear()
    result = hooked.render([RenderRequest(spec=SPEC, seed=seed) for seed in (1, 2, 3)])
    assert hook_calls == [3]
    assert result.flagged == [False, True, False]
    with pytest.raises(SDConfigError, match="cannot be imported"):
        StableDiffusionBackend.from_settings(settings.model_copy(update={"sd_safety_hook": "no_such_module:check"}))


def test_compile_and_channels_last_options(models: dict[str, Path]) -> None:
    tuned = StableDiffusionBackend.load(_options(models["folder"], compile=True, channels_last=True))
    unet = tuned.pipeline.unet
    assert unet._compiled_call_impl is not None  # compiled lazily, on the first render
    assert unet.conv_in.weight.is_contiguous(memory_format=torch.channels_last)
    empty = tuned.render([])
    assert empty.images == [] and empty.flagged == []


def test_removed_detail_words_are_reported(backend: StableDiffusionBackend) -> None:
    spec = parse_spec({"hair": "bun", "details": "nude, with a tiny hat"})
    result = backend.render([RenderRequest(spec=spec, seed=1), RenderRequest(spec=SPEC, seed=1)])
    assert result.removed_words == [("nude",), ()]


def test_scheduler_chosen_by_name_still_reproduces(models: dict[str, Path]) -> None:
    ancestral = StableDiffusionBackend.load(_options(models["folder"], scheduler="euler-a"))
    assert type(ancestral.pipeline.scheduler).__name__ == "EulerAncestralDiscreteScheduler"
    request = [RenderRequest(spec=SPEC, seed=61)]
    assert _same(ancestral.render(request).images[0], ancestral.render(request).images[0])


def test_turbo_is_detected_from_the_name_and_runs_without_guidance(models: dict[str, Path], tmp_path: Path) -> None:
    turbo_folder = shutil.copytree(models["folder"], tmp_path / "tiny-sd-turbo")
    turbo = StableDiffusionBackend.load(SDOptions(checkpoint=turbo_folder, image_size=TINY_IMAGE_SIZE))
    assert turbo.family == "sd-turbo" and turbo.guidance == 0.0 and turbo.steps == 4
    images = turbo.render([RenderRequest(spec=SPEC, seed=1), RenderRequest(spec=SPEC, seed=2)]).images
    assert len(images) == 2


def test_sdxl_renders_a_batch_with_mix_and_photo(models: dict[str, Path]) -> None:
    xl = StableDiffusionBackend.load(_options(models["sdxl"]))
    assert xl.family == "sdxl" and xl.model_version.startswith("sdxl/")
    requests = [
        RenderRequest(spec=SPEC, seed=1),
        RenderRequest(spec=SPEC, seed=1, kind="mix", mix_with=MixSource(OTHER_SPEC, 2), mix_ratio=0.3),
        RenderRequest(spec=SPEC, seed=1, kind="photo", strength=0.6, init_image=_photo((0, 255, 0))),
    ]
    images = xl.render(requests).images
    assert [image.size for image in images] == [(TINY_IMAGE_SIZE, TINY_IMAGE_SIZE)] * 3
    assert _same(xl.render(requests[:1]).images[0], images[0], tolerance=2)


def test_loading_never_opens_a_network_connection(models: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"the loader tried to connect to {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    loaded = StableDiffusionBackend.load(_options(models["single"], config_dir=models["folder"]))
    assert loaded.render([RenderRequest(spec=SPEC, seed=1)]).images


def test_hub_offline_is_scoped_to_the_load() -> None:
    import huggingface_hub.constants as hub_constants

    before = hub_constants.HF_HUB_OFFLINE
    with hub_offline():
        assert hub_constants.is_offline_mode()
    assert hub_constants.HF_HUB_OFFLINE == before


@pytest.mark.gpu
def test_renders_in_half_precision_on_cuda(models: dict[str, Path]) -> None:
    if not torch.cuda.is_available():
        pytest.skip("needs CUDA")
    gpu = StableDiffusionBackend.load(_options(models["folder"], device="cuda", channels_last=True))
    assert gpu.pipeline.unet.dtype == torch.float16
    requests = [RenderRequest(spec=SPEC, seed=1), RenderRequest(spec=SPEC, seed=1)]
    first, second = gpu.render(requests).images
    assert _same(first, second, tolerance=2)
    photo = RenderRequest(spec=SPEC, seed=2, kind="photo", strength=0.5, init_image=_photo((255, 0, 0)))
    assert gpu.render([photo]).images[0].size == (TINY_IMAGE_SIZE, TINY_IMAGE_SIZE)


class _StrengthSpy:
    """Stands in for the image-to-image pipeline: records each call's strength, then runs it."""

    def __init__(self, pipeline: object) -> None:
        self.pipeline = pipeline
        self.strengths: list[float] = []

    def __call__(self, **kwargs: object) -> object:
        self.strengths.append(float(kwargs["strength"]))  # type: ignore[arg-type]
        return self.pipeline(**kwargs)  # type: ignore[operator]


class _SentMessages:
    def __init__(self) -> None:
        self.sent: list[list[int]] = []

    def send_task(self, name: str, *, args: list[int], queue: str, countdown: object = None) -> None:
        self.sent.append(args)


class _QuietNotifier:
    def publish(self, job_id: int, status: str) -> None:
        pass


def test_a_read_photo_is_repainted_with_its_attributes_and_then_deleted(
    models: dict[str, Path], session_factory, image_store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With Stable Diffusion the bot reads the photo, keeps a clean copy for image-to-image, and the
    # job carries the read spec and no strength (the operator's AVATARBOT_SD_PHOTO_STRENGTH applies).
    # The worker draws it with the read attributes in the prompt, then deletes the upload.
    from skimage import data as samples

    from bot.requests.photo_order import read_upload
    from bot.requests.rules import Requester
    from bot.requests.studio import Studio
    from core.db import repositories as repo
    from generator.backends.stable_diffusion.prompt import fragment
    from generator.context import WorkerContext
    from generator.tasks import run_generate
    from photo import PhotoReader

    settings = Settings(
        backend="stable-diffusion",
        sd_checkpoint=models["folder"],
        sd_image_size=TINY_IMAGE_SIZE,
        num_inference_steps=2,
        sd_photo_strength=0.45,
    )
    upload = io.BytesIO()
    Image.fromarray(samples.astronaut()).save(upload, format="PNG")
    order = read_upload(upload.getvalue(), {"style": "lorelei"}, PhotoReader(), keep_picture=True)
    assert order.read.get("hair_color") and order.spec.hair_color == order.read["hair_color"]
    queued = Studio(settings, session_factory, _SentMessages(), image_store).photo(
        Requester(owner_id=5, guild_id=None, channel_id=None), order
    )
    [job_id] = queued.job_ids
    with session_factory() as session:
        made = repo.get_job(session, job_id)
        key = made.params["source_image_key"]
        assert "strength" not in made.params and made.photo_reading["read"] == order.read
    assert image_store.exists(key)

    backend = StableDiffusionBackend.from_settings(settings)
    spy = _StrengthSpy(backend._img2img_pipeline())
    monkeypatch.setattr(backend, "_img2img_pipeline", lambda: spy)
    prompts: list[str] = []
    build = backend._prompt
    monkeypatch.setattr(backend, "_prompt", lambda spec: prompts.append(build(spec).positive) or build(spec))
    context = WorkerContext(
        settings=settings,
        session_factory=session_factory,
        image_store=image_store,
        notifier=_QuietNotifier(),  # type: ignore[arg-type]
        worker_id="sd-worker@host",
        load_backend=lambda: backend,
    )

    outcome = run_generate(context, job_id, requeue=lambda job_ids, countdown: None)

    assert outcome.done == [job_id]
    assert spy.strengths == [0.45]
    assert fragment("hair_color", order.read["hair_color"]) in prompts[0]
    assert not image_store.exists(key)  # the photo went as soon as the avatar was drawn
    with session_factory() as session:
        done = repo.get_job(session, job_id)
        assert "source_image_key" not in done.params and done.image_key != key
