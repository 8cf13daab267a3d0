"""Stage 1b: train the 256 px upscaling decoder (RGB + alpha) adversarially; the encoder stays.

    python -m generator.builtin.train_decoder --data data/dicebear --vae generator/weights/chibi/vae \
        --out runs/decoder --steps 6000

The encoder of `--vae` turns 128 px renders into latents once; the decoder learns to draw
the same render at 256 px (and its exact alpha matte) from them, on aligned random crops:
pixel loss (L1 + Sobel-edge L1 + MSE) and alpha L1 from the start, then a PatchGAN hinge
loss with an adaptive weight and discriminator feature matching after `--disc-start`.
Part of the time the latents are noised, so the decoder also copes with the imperfect
latents the UNet draws. Starts from the old decoder (`UpscalingDecoder.from_vae`), or
`--init-from` a saved decoder folder. Resumes from `<out>/ckpt.pt`; writes `loss.png`,
`loss_adversarial.png`, `samples.png`, and `<out>/decoder/` (EMA weights) every
`--export-every` steps and at the end.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from diffusers import AutoencoderKL
from PIL import Image

from generator.builtin.patch_discriminator import (
    PatchDiscriminator,
    adaptive_weight,
    feature_matching_loss,
    generator_adversarial_loss,
    hinge_discriminator_loss,
)
from generator.builtin.sharpness import sharpness_report
from generator.builtin.train_autoencoder import edges
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
from generator.builtin.upscaling_decoder import UpscalingDecoder

RUN_KEYS = ("batch", "crop", "lr", "disc_lr", "disc_start", "disc_weight", "fm_weight", "edge_weight",
            "mse_weight", "alpha_weight", "noise_prob", "noise_max")


@torch.no_grad()
def encode_latents(vae: AutoencoderKL, images: np.ndarray, batch: int = 64) -> torch.Tensor:
    """Posterior means (unscaled) of 128 px renders: what the UNet learned to draw."""
    return torch.cat([vae.encode(to_model_range(images[i : i + batch])).latent_dist.mean
                      for i in range(0, len(images), batch)])


def cached_latents(path: Path, vae: AutoencoderKL, images: np.ndarray) -> torch.Tensor:
    """encode_latents, kept beside the checkpoint: a resumed run skips minutes of encoding."""
    key = {"n": len(images), "scaling_factor": float(vae.config.scaling_factor),
           "probe": float(encode_latents(vae, images[:2]).sum())}
    if path.is_file():
        saved = torch.load(path, weights_only=True)
        if saved["key"] == key:
            return saved["latents"]
    print(f"encoding {len(images)} renders to latents ...", flush=True)
    latents = encode_latents(vae, images)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"key": key, "latents": latents}, path)
    return latents


def aligned_crops(latents: torch.Tensor, images: np.ndarray, mattes: np.ndarray | None, batch: int, crop: int,
                  upscale: int, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """Random latent crops (crop × crop) and the matching pixel crops of the big renders."""
    n, _, h, w = latents.shape
    idx = rng.integers(0, n, batch)
    ys, xs = rng.integers(0, h - crop + 1, batch), rng.integers(0, w - crop + 1, batch)
    lat = torch.stack([latents[i, :, y : y + crop, x : x + crop] for i, y, x in zip(idx, ys, xs, strict=True)])
    s, c = upscale, crop * upscale
    pix = np.stack([images[i, y * s : y * s + c, x * s : x * s + c] for i, y, x in zip(idx, ys, xs, strict=True)])
    alpha = None
    if mattes is not None:
        a = np.stack([mattes[i, y * s : y * s + c, x * s : x * s + c] for i, y, x in zip(idx, ys, xs, strict=True)])
        alpha = torch.from_numpy(a).float().div_(127.5).sub_(1.0).unsqueeze(1)
    return lat, to_model_range(pix), alpha


def noised(latents: torch.Tensor, scaling_factor: float, prob: float, max_sigma: float,
           rng: np.random.Generator) -> torch.Tensor:
    """Add Gaussian noise (in the UNet's scaled units) to a random share of the latents."""
    if prob <= 0:
        return latents
    sigma = torch.from_numpy(rng.uniform(0, max_sigma, len(latents)) * (rng.random(len(latents)) < prob)).float()
    return latents + sigma.view(-1, 1, 1, 1) * torch.randn_like(latents) / scaling_factor


def save_samples(decoder: UpscalingDecoder, vae: AutoencoderKL, latents: torch.Tensor, images: np.ndarray,
                 mattes: np.ndarray | None, path: Path) -> dict[str, float]:
    """Rows: real 256 px | old decoder upscaled (Lanczos) | new decoder | its alpha | real alpha."""
    with torch.no_grad():
        new = decoder(latents).clamp(-1, 1)
        old = vae.decode(latents).sample.clamp(-1, 1)

    def to_uint8(t: torch.Tensor) -> np.ndarray:
        return ((t.permute(0, 2, 3, 1).numpy() + 1) * 127.5).round().astype(np.uint8)

    size = images.shape[1]
    old_up = np.stack([np.asarray(Image.fromarray(o).resize((size, size), Image.LANCZOS)) for o in to_uint8(old)])
    new_rgb = to_uint8(new[:, :3])
    new_alpha = np.repeat(to_uint8(new[:, 3:4]), 3, axis=3)
    rows = [images, old_up, new_rgb, new_alpha]
    if mattes is not None:
        rows.append(np.repeat(mattes[..., None], 3, axis=3))
    sheet = np.concatenate([np.concatenate(list(r), axis=1) for r in rows], axis=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(sheet).save(path)
    real, generated = sharpness_report(images), sharpness_report(new_rgb)
    return {"l1_256": float(np.abs(new_rgb.astype(np.float32) - images).mean() / 127.5),
            "gradient_ratio": generated["edge_gradient"] / real["edge_gradient"],
            "rise_ratio": generated["edge_rise_px"] / real["edge_rise_px"],
            "hf_ratio": generated["high_frequency_share"] / real["high_frequency_share"]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA_ROOT)
    parser.add_argument("--vae", type=Path, default=Path("generator/weights/chibi/vae"))
    parser.add_argument("--out", type=Path, default=RUNS_ROOT / "decoder")
    parser.add_argument("--init-from", type=Path, default=None, help="a saved UpscalingDecoder folder")
    parser.add_argument("--head", choices=("stage", "pixel_shuffle"), default="pixel_shuffle",
                        help="how the last doubling is drawn (see upscaling_decoder); a new decoder only")
    parser.add_argument("--size", type=int, default=256, help="edge of the renders the decoder learns to draw")
    parser.add_argument("--steps", type=int, default=6000)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--crop", type=int, default=8, help="latent crop edge (x16 pixels)")
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--disc-lr", type=float, default=2e-4)
    parser.add_argument("--disc-start", type=int, default=300)
    parser.add_argument("--disc-weight", type=float, default=0.5)
    parser.add_argument("--fm-weight", type=float, default=1.0)
    parser.add_argument("--edge-weight", type=float, default=0.5)
    parser.add_argument("--mse-weight", type=float, default=1.0)
    parser.add_argument("--alpha-weight", type=float, default=1.0)
    parser.add_argument("--noise-prob", type=float, default=0.5)
    parser.add_argument("--noise-max", type=float, default=0.3, help="largest noise std, in the UNet's units")
    parser.add_argument("--limit", type=int, default=10000, help="training renders held in memory")
    parser.add_argument("--no-mattes", action="store_true", help="train RGB only (alpha loss off)")
    parser.add_argument("--save-every", type=int, default=100)
    parser.add_argument("--export-every", type=int, default=500)
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    ckpt_path = args.out / "ckpt.pt"
    ckpt = load_checkpoint(ckpt_path)
    run = ckpt.config["run"] if ckpt is not None else {k: v for k, v in vars(args).items() if k in RUN_KEYS}
    run["steps"] = args.steps

    vae = AutoencoderKL.from_pretrained(args.vae, torch_dtype=torch.float32).eval().requires_grad_(False)
    scaling = float(vae.config.scaling_factor)
    if ckpt is not None:
        decoder = UpscalingDecoder.from_config(ckpt.config["decoder"])
        print(f"resuming {ckpt_path} at step {ckpt.step}")
    elif args.init_from is not None:
        decoder = UpscalingDecoder.from_pretrained(args.init_from, torch_dtype=torch.float32)
        print(f"starting from {args.init_from}")
    else:
        decoder = UpscalingDecoder.from_vae(vae, head=args.head)
        print(f"starting from the decoder of {args.vae}, drawing twice its size ({args.head} head)")
    decoder.train()
    disc = PatchDiscriminator()
    ema = EMA(decoder, decay=0.999)
    opt = torch.optim.Adam(decoder.parameters(), lr=run["lr"], betas=(0.5, 0.9))
    opt_d = torch.optim.Adam(disc.parameters(), lr=run["disc_lr"], betas=(0.5, 0.9))
    losses: list[tuple[int, float]] = []
    adv_losses: list[tuple[int, float]] = []
    start = 0
    if ckpt is not None:
        decoder.load_state_dict(ckpt.state["model"])
        ema.model.load_state_dict(ckpt.state["ema"])
        disc.load_state_dict(ckpt.state["disc"])
        opt.load_state_dict(ckpt.state["opt"])
        opt_d.load_state_dict(ckpt.state["opt_d"])
        losses, start = ckpt.losses, ckpt.step
        adv_losses = ckpt.state.get("adv_losses", [])

    up = decoder.upscale
    small, _ = load_split(args.data, "train", vae.config.sample_size, limit=args.limit)
    big, _ = load_split(args.data, "train", args.size, limit=args.limit)
    mattes = None
    if not args.no_mattes:
        from generator.dataset.mattes import load_mattes

        mattes = load_mattes(args.data, "train", args.size, limit=args.limit)
    n = min(len(small), len(big), len(mattes) if mattes is not None else len(big))
    small, big = small[:n], big[:n]
    mattes = mattes[:n] if mattes is not None else None
    latents = cached_latents(args.out / "latents.pt", vae, small)
    del small
    try:
        val_small, _ = load_split(args.data, "val", vae.config.sample_size, limit=6)
        val_big, _ = load_split(args.data, "val", args.size, limit=6)
    except FileNotFoundError:  # the render may not have reached the validation split yet
        val_small, val_big = None, big[-6:]
    val_mattes = mattes[-6:] if mattes is not None else None
    if val_small is None:
        val_small, _ = load_split(args.data, "train", vae.config.sample_size, limit=n)
        val_small = val_small[-6:]
    elif mattes is not None:
        from generator.dataset.mattes import load_mattes

        try:
            val_mattes = load_mattes(args.data, "val", args.size, limit=6)
        except FileNotFoundError:
            val_mattes = None
    val_latents = encode_latents(vae, val_small)
    print(f"decoder: {sum(p.numel() for p in decoder.parameters()) / 1e6:.2f} M parameters; "
          f"discriminator {sum(p.numel() for p in disc.parameters()) / 1e6:.2f} M; {n} renders at {args.size} px")
    rng = np.random.default_rng(start)

    def train_step(step: int) -> float:
        for group in opt.param_groups:
            group["lr"] = cosine_lr(step, run["steps"], run["lr"], warmup=100)
        lat, x, alpha = aligned_crops(latents, big, mattes, run["batch"], run["crop"], up, rng)
        lat = noised(lat, scaling, run["noise_prob"], run["noise_max"], rng)
        out = decoder(lat)
        rgb = out[:, :3]
        pixel = F.l1_loss(rgb, x) + run["edge_weight"] * F.l1_loss(edges(rgb), edges(x))
        pixel = pixel + run["mse_weight"] * F.mse_loss(rgb, x)
        if alpha is not None:
            pixel = pixel + run["alpha_weight"] * F.l1_loss(out[:, 3:4], alpha)
        total = pixel
        adversarial = step >= run["disc_start"]
        if adversarial:
            # Discriminator step on this batch (drawn patches detached), then the decoder's.
            real_logits, real_feats = disc(x)
            fake_logits_d, _ = disc(rgb.detach())
            d_loss = hinge_discriminator_loss(real_logits, fake_logits_d)
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            opt_d.step()
            disc.requires_grad_(False)
            fake_logits, fake_feats = disc(rgb)
            g_loss = generator_adversarial_loss(fake_logits)
            weight = adaptive_weight(pixel, g_loss, decoder.last_layer) * run["disc_weight"]
            total = pixel + weight * g_loss + run["fm_weight"] * feature_matching_loss(fake_feats, real_feats)
            disc.requires_grad_(True)
            adv_losses.append((step + 1, float(d_loss.item())))
        opt.zero_grad(set_to_none=True)
        total.backward()
        torch.nn.utils.clip_grad_norm_(decoder.parameters(), 1.0)
        opt.step()
        ema.update(decoder, step)
        value = float(pixel.item())
        losses.append((step + 1, value))
        return value

    def export(step: int) -> None:
        ema.model.save_pretrained(args.out / "decoder")
        figures = save_samples(ema.model, vae, val_latents, val_big, val_mattes, args.out / "samples.png")
        print(f"step {step}: exported {args.out / 'decoder'}; validation " +
              ", ".join(f"{k} {v:.3f}" for k, v in figures.items()), flush=True)

    def save(step: int) -> None:
        config = {"decoder": dict(decoder.config), "run": run, "stage": "decoder"}
        state = {"model": decoder.state_dict(), "ema": ema.model.state_dict(), "disc": disc.state_dict(),
                 "opt": opt.state_dict(), "opt_d": opt_d.state_dict(), "adv_losses": adv_losses}
        save_checkpoint(ckpt_path, Checkpoint(step, config, state, losses))
        plot_losses(losses, args.out / "loss.png", "decoder pixel loss (L1 + edges + MSE + alpha L1)")
        plot_losses(adv_losses, args.out / "loss_adversarial.png", "discriminator hinge loss")
        if step % args.export_every == 0 or step == run["steps"]:
            export(step)

    run_loop(run["steps"], start, train_step, save, args.save_every, "decoder")


if __name__ == "__main__":
    main()
