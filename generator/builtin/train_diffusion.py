"""Stage 2: train the attribute-conditioned UNet on precomputed latents.

    python -m generator.builtin.train_diffusion --data data/dicebear --vae runs/ae/vae \
        --out runs/diffusion --steps 6000 [--export-to generator/weights/chibi --fp16]

The training images are encoded once into `<out>/latents.pt`. Attributes are
dropped at random (each alone, and all together) so the model learns partial
specs and classifier-free guidance. Resumes from `<out>/ckpt.pt`; writes
`<out>/loss.png`, `<out>/samples.png` and, at the end, the pipeline folder.
"""

from __future__ import annotations

import argparse
import copy
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from diffusers import AutoencoderKL

from core.vocabulary import VOCABULARY
from generator.builtin.architecture import (
    UNetSizes,
    build_attribute_encoder,
    build_sample_scheduler,
    build_train_scheduler,
    build_unet,
    unet_sizes_of,
)
from generator.builtin.pipeline import ChibiPipeline
from generator.builtin.training import (
    DATA_ROOT,
    EMA,
    RUNS_ROOT,
    Checkpoint,
    cosine_lr,
    load_checkpoint,
    load_split,
    plot_losses,
    run_loop,
    save_checkpoint,
    to_model_range,
)


class _Denoiser(torch.nn.Module):
    """UNet + attribute encoder trained (and averaged) as one module."""

    def __init__(self, unet, encoder):
        super().__init__()
        self.unet, self.encoder = unet, encoder

    def forward(self, latents, t, tokens):
        cond = self.encoder(tokens)
        return self.unet(latents, t, encoder_hidden_states=cond, class_labels=cond.flatten(1)).sample


@torch.no_grad()
def encode_latents(vae: AutoencoderKL, images: np.ndarray, batch: int = 64) -> torch.Tensor:
    from tqdm import tqdm

    out = []
    for i in tqdm(range(0, len(images), batch), desc="encoding latents", mininterval=5.0):
        out.append(vae.encode(to_model_range(images[i : i + batch])).latent_dist.mean.half())
    return torch.cat(out)  # unscaled, in half precision: the scale is applied at use


def drop_attributes(tokens: torch.Tensor, p_each: float, p_all: float, gen: torch.Generator) -> torch.Tensor:
    """Replace tokens by the null token (0): each attribute with p_each, the whole row with p_all."""
    drop = torch.rand(tokens.shape, generator=gen) < p_each
    drop |= (torch.rand(tokens.shape[0], 1, generator=gen) < p_all)
    return tokens.masked_fill(drop, 0)


def load_pipeline_parts(folder: Path) -> tuple[UNetSizes, dict[str, torch.Tensor]]:
    """Sizes and a float32 `_Denoiser` state dict from a saved ChibiPipeline folder."""
    from diffusers import UNet2DConditionModel

    from generator.builtin.attribute_encoder import AttributeEncoder

    unet = UNet2DConditionModel.from_pretrained(folder / "unet", torch_dtype=torch.float32)
    encoder = AttributeEncoder.from_pretrained(folder / "attribute_encoder", torch_dtype=torch.float32)
    return unet_sizes_of(unet), _Denoiser(unet, encoder).float().state_dict()


def build_export(vae: AutoencoderKL, denoiser: _Denoiser, output_size: int) -> ChibiPipeline:
    pipe = ChibiPipeline(vae=vae, unet=denoiser.unet, attribute_encoder=denoiser.encoder,
                         scheduler=build_sample_scheduler(), output_size=output_size)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def save_samples(pipe: ChibiPipeline, path: Path) -> None:
    """One avatar per style, two seeds each: a quick look while training."""
    from PIL import Image

    rows = [[i + 1] + [0] * (len(VOCABULARY.attributes) - 1) for i in range(len(VOCABULARY.styles))] * 2
    seeds = list(range(len(rows)))
    images = pipe(rows, seeds, num_inference_steps=12, guidance_scale=3.0, output_type="np").images
    n = len(VOCABULARY.styles)
    sheet = np.concatenate([np.concatenate(list(images[r * n : (r + 1) * n]), axis=1) for r in range(2)], axis=0)
    Image.fromarray(sheet).save(path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA_ROOT)
    parser.add_argument("--vae", type=Path, default=RUNS_ROOT / "ae" / "vae")
    parser.add_argument("--out", type=Path, default=RUNS_ROOT / "diffusion")
    parser.add_argument("--channels", type=int, nargs="+", default=[48, 96, 160])
    parser.add_argument("--layers-per-block", type=int, default=1)
    parser.add_argument("--attention-heads", type=int, default=4)
    parser.add_argument("--norm-groups", type=int, default=16)
    parser.add_argument("--condition-dim", type=int, default=128)
    parser.add_argument("--steps", type=int, default=6000)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--p-drop-each", type=float, default=0.25)
    parser.add_argument("--p-drop-all", type=float, default=0.1)
    parser.add_argument("--min-snr-gamma", type=float, default=5.0)
    parser.add_argument("--ema-decay", type=float, default=0.999)
    parser.add_argument("--limit", type=int, default=None, help="training images to encode (default all)")
    parser.add_argument("--output-size", type=int, default=256)
    parser.add_argument("--save-every", type=int, default=250)
    parser.add_argument("--export-to", type=Path, default=None, help="also save the pipeline here")
    parser.add_argument("--fp16", action="store_true", help="export weights in half precision")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--init-from", type=Path, default=None,
                        help="start a new run from a saved pipeline folder (e.g. the shipped weights): "
                             "its UNet, attribute encoder and sizes; --vae must be the pipeline's own vae")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    vae = AutoencoderKL.from_pretrained(args.vae).eval().requires_grad_(False)
    scale = float(vae.config.scaling_factor)
    latent_size = int(vae.config.sample_size) // 2 ** (len(vae.config.block_out_channels) - 1)

    # 1. Latents, encoded once.
    cache = args.out / "latents.pt"
    if cache.is_file():
        data = torch.load(cache)
    else:
        images, tokens = load_split(args.data, "train", int(vae.config.sample_size), limit=args.limit)
        data = {"latents": encode_latents(vae, images), "tokens": torch.from_numpy(tokens)}
        del images
        args.out.mkdir(parents=True, exist_ok=True)
        torch.save(data, cache)
    latents_all, tokens_all = data["latents"], data["tokens"]
    print(f"{len(latents_all)} latents of shape {tuple(latents_all.shape[1:])}, scale {scale:.4f}")

    # 2. Model, optimiser, EMA; the checkpoint's config wins over the command line.
    ckpt_path = args.out / "ckpt.pt"
    ckpt = load_checkpoint(ckpt_path)
    init = load_pipeline_parts(args.init_from) if ckpt is None and args.init_from is not None else None
    if ckpt is not None:
        sizes = UNetSizes(**{k: tuple(v) if isinstance(v, list) else v for k, v in ckpt.config["sizes"].items()})
        run = ckpt.config["run"]
        print(f"resuming {ckpt_path} at step {ckpt.step}")
    elif init is not None:
        sizes = init[0]
        run = {k: getattr(args, k) for k in ("batch", "lr", "p_drop_each", "p_drop_all", "min_snr_gamma", "ema_decay")}
        run["init_from"] = str(args.init_from)
        print(f"starting from the weights of {args.init_from}")
    else:
        sizes = UNetSizes(channels=tuple(args.channels), layers_per_block=args.layers_per_block,
                          attention_heads=args.attention_heads, norm_groups=args.norm_groups,
                          condition_dim=args.condition_dim)
        run = {k: getattr(args, k) for k in ("batch", "lr", "p_drop_each", "p_drop_all", "min_snr_gamma", "ema_decay")}
    run["steps"] = args.steps
    torch.manual_seed(0)
    model = _Denoiser(build_unet(sizes, latent_size, int(vae.config.latent_channels)), build_attribute_encoder(sizes))
    ema = EMA(model, decay=run["ema_decay"])
    opt = torch.optim.AdamW(model.parameters(), lr=run["lr"], weight_decay=0.01, betas=(0.9, 0.99))
    losses: list[tuple[int, float]] = []
    start = 0
    if init is not None:
        model.load_state_dict(init[1])
        ema.model.load_state_dict(init[1])
    if ckpt is not None:
        model.load_state_dict(ckpt.state["model"])
        ema.model.load_state_dict(ckpt.state["ema"])
        opt.load_state_dict(ckpt.state["opt"])
        losses, start = ckpt.losses, ckpt.step
    print(f"denoiser {sizes}: {sum(p.numel() for p in model.parameters()) / 1e6:.2f} M parameters")

    noise_sched = build_train_scheduler()
    alphas = noise_sched.alphas_cumprod
    snr = alphas / (1 - alphas)
    gen = torch.Generator().manual_seed(1000 + start)
    model.train()

    def train_step(step: int) -> float:
        for group in opt.param_groups:
            group["lr"] = cosine_lr(step, run["steps"], run["lr"], warmup=200)
        idx = torch.randint(0, len(latents_all), (run["batch"],), generator=gen)
        x0 = latents_all[idx].float() * scale
        tokens = drop_attributes(tokens_all[idx], run["p_drop_each"], run["p_drop_all"], gen)
        t = torch.randint(0, noise_sched.config.num_train_timesteps, (run["batch"],), generator=gen)
        noise = torch.randn(x0.shape, generator=gen)
        xt = noise_sched.add_noise(x0, noise, t)
        pred = model(xt, t, tokens)
        # Min-SNR weighting: do not let the easy, low-noise steps dominate.
        weight = torch.clamp(snr[t], max=run["min_snr_gamma"]) / snr[t]
        loss = (weight * F.mse_loss(pred, noise, reduction="none").mean(dim=(1, 2, 3))).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        ema.update(model, step)
        value = loss.item()
        losses.append((step + 1, value))
        return value

    def save(step: int) -> None:
        config = {"sizes": asdict(sizes), "run": run, "stage": "diffusion", "vae": str(args.vae)}
        state = {"model": model.state_dict(), "ema": ema.model.state_dict(), "opt": opt.state_dict()}
        save_checkpoint(ckpt_path, Checkpoint(step, config, state, losses))
        plot_losses(losses, args.out / "loss.png", "diffusion loss (min-SNR weighted epsilon MSE)")
        save_samples(build_export(vae, ema.model, args.output_size), args.out / "samples.png")

    run_loop(run["steps"], start, train_step, save, args.save_every, "diffusion")

    # 3. Export the EMA model as a ChibiPipeline.
    for target in [args.out / "pipeline", args.export_to]:
        if target is None:
            continue
        pipe = build_export(vae, copy.deepcopy(ema.model), args.output_size)
        if args.fp16 and target == args.export_to:
            pipe = pipe.to(torch.float16)
        pipe.save_pretrained(target)
        print(f"saved pipeline to {target}")


if __name__ == "__main__":
    main()
