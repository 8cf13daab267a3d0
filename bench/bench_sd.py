"""Stable Diffusion backend: seconds per image, and the backend's overhead over calling diffusers directly.

    python bench/bench_sd.py                                   # tiny random model (no weights needed), CPU
    python bench/bench_sd.py --checkpoint /models/sd15 --device cuda --size 512 --batch 4
    python bench/bench_sd.py --checkpoint x.safetensors --config-dir /models/sd15-configs --device cuda

Both sides use the same loaded pipeline, prompts, seeds, steps, guidance and size;
"direct" passes prompt strings and per-image generators to the pipeline, "backend"
goes through StableDiffusionBackend.render (prompt building, seeded noise, embeddings,
safety check). Prints a table; figures, not pass/fail.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # for the tiny random model, a test fixture (tests/generator/tiny_sd.py)

import torch  # noqa: E402
from tqdm import tqdm  # noqa: E402

from core.spec import parse_spec  # noqa: E402
from generator.backends.base import RenderRequest  # noqa: E402
from generator.backends.stable_diffusion.backend import StableDiffusionBackend  # noqa: E402
from generator.backends.stable_diffusion.options import SDOptions  # noqa: E402
from generator.backends.stable_diffusion.prompt import build_prompt  # noqa: E402
from tests.generator.tiny_sd import TINY_IMAGE_SIZE, save_tiny_folder  # noqa: E402

SPECS = [
    parse_spec({"style": "adventurer", "hair": "long", "hair_color": "pink", "background": "mint"}),
    parse_spec({"style": "lorelei", "hair": "bun", "expression": "happy", "background": "sky"}),
    parse_spec({"hair": "curly", "hair_color": "blue", "glasses": "glasses"}),
    parse_spec({"style": "micah", "skin": "tan", "background": "lavender"}),
]


def _sync(device: str) -> None:
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def _timed(run: Callable[[], object], device: str, repeats: int, label: str) -> list[float]:
    run()  # warm-up: first calls pay for kernels, caches and lazy set-up
    _sync(device)
    times = []
    for _ in tqdm(range(repeats), desc=label, leave=False):
        start = time.perf_counter()
        run()
        _sync(device)
        times.append(time.perf_counter() - start)
    return times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", type=Path, help="diffusers folder or .safetensors/.ckpt (default: tiny model)")
    parser.add_argument("--config-dir", type=Path, help="config folder for a single-file checkpoint")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--size", type=int, help="image side in px (default: the family's, or 32 for the tiny model)")
    parser.add_argument("--steps", type=int, help="denoising steps (default: the family's, or 2 for the tiny model)")
    parser.add_argument("--batch", type=int, default=4, help="images per call")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    with tempfile.TemporaryDirectory() as scratch:
        checkpoint = args.checkpoint
        size, steps = args.size, args.steps
        if checkpoint is None:
            checkpoint = save_tiny_folder(Path(scratch) / "tiny-sd15", "sd15")
            size, steps = size or TINY_IMAGE_SIZE, steps or 2
        options = SDOptions(
            checkpoint=checkpoint, config_dir=args.config_dir, device=args.device, image_size=size, steps=steps
        )
        load_start = time.perf_counter()
        backend = StableDiffusionBackend.load(options)
        load_s = time.perf_counter() - load_start

        requests = [RenderRequest(spec=SPECS[i % len(SPECS)], seed=1000 + i) for i in range(args.batch)]
        prompts = [build_prompt(r.spec) for r in requests]
        pipe = backend.pipeline

        def direct() -> object:
            return pipe(
                prompt=[p.positive for p in prompts],
                negative_prompt=[p.negative for p in prompts] if backend.guidance > 1 else None,
                generator=[torch.Generator(args.device).manual_seed(r.seed) for r in requests],
                num_inference_steps=backend.steps,
                guidance_scale=backend.guidance,
                height=backend.size,
                width=backend.size,
            ).images

        direct_times = _timed(direct, args.device, args.repeats, "diffusers")
        backend_times = _timed(lambda: backend.render(requests), args.device, args.repeats, "backend")

    device_name = torch.cuda.get_device_name() if torch.device(args.device).type == "cuda" else "CPU"
    print(
        f"\n{backend.model_version} ({backend.family}) on {device_name}, {backend.pipeline.unet.dtype}, "
        f"{backend.size} px, {backend.steps} steps, guidance {backend.guidance}, batch {args.batch}, "
        f"median of {args.repeats}; load {load_s:.1f} s"
    )
    print(f"{'path':<10} {'s/batch':>9} {'s/image':>9} {'overhead':>20}")
    direct_s, backend_s = statistics.median(direct_times), statistics.median(backend_times)
    for label, seconds in (("diffusers", direct_s), ("backend", backend_s)):
        delta = seconds - direct_s
        overhead = "" if label == "diffusers" else f"{delta * 1000:+.0f} ms ({delta / direct_s:+.1%})"
        print(f"{label:<10} {seconds:>9.3f} {seconds / args.batch:>9.3f} {overhead:>20}")


if __name__ == "__main__":
    main()
