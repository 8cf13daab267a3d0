"""Stage 1: train the autoencoder on random crops (it is fully convolutional).

    python -m generator.builtin.train_autoencoder --data data/dicebear --out runs/ae --steps 3000

Resumes from `<out>/ckpt.pt`. Writes `<out>/loss.png`, `<out>/reconstructions.png`
and, at the end, `<out>/vae/` (EMA weights, scaling factor measured on real latents).
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from diffusers import AutoencoderKL

from generator.builtin.architecture import AutoencoderSizes, autoencoder_sizes_of, build_autoencoder
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

_SOBEL = torch.tensor([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])


def edges(x: torch.Tensor) -> torch.Tensor:
    """Per-channel Sobel gradients: penalising them keeps outlines sharp rather than smeared."""
    kernel = torch.stack([_SOBEL, _SOBEL.T]).unsqueeze(1).repeat(x.shape[1], 1, 1, 1).to(x)
    return F.conv2d(x, kernel, padding=1, groups=x.shape[1])


def reconstruction_loss(
    recon: torch.Tensor, target: torch.Tensor, edge_weight: float, mse_weight: float = 0.0
) -> torch.Tensor:
    # L1 keeps flat areas flat; MSE punishes the large errors of a wrong colour; edges keep lines sharp.
    loss = F.l1_loss(recon, target) + edge_weight * F.l1_loss(edges(recon), edges(target))
    if mse_weight:
        loss = loss + mse_weight * F.mse_loss(recon, target)
    return loss


def random_crops(images: np.ndarray, batch: int, crop: int, rng: np.random.Generator) -> torch.Tensor:
    n, h, w, _ = images.shape
    idx = rng.integers(0, n, batch)
    ys, xs = rng.integers(0, h - crop + 1, batch), rng.integers(0, w - crop + 1, batch)
    crops = np.stack([images[i, y : y + crop, x : x + crop] for i, y, x in zip(idx, ys, xs, strict=True)])
    return to_model_range(crops)


@torch.no_grad()
def measure_scaling_factor(vae, images: np.ndarray, n: int = 256) -> float:
    """1 / std of the latents, so the diffusion model sees unit-variance inputs."""
    latents = [vae.encode(to_model_range(images[i : i + 32])).latent_dist.mean for i in range(0, n, 32)]
    return float(1.0 / torch.cat(latents).std())


def save_reconstructions(vae, images: np.ndarray, path: Path) -> None:
    from PIL import Image

    with torch.no_grad():
        x = to_model_range(images[:8])
        y = vae.decode(vae.encode(x).latent_dist.mean).sample.clamp(-1, 1)
    rows = [((t.permute(0, 2, 3, 1).numpy() + 1) * 127.5).round().astype(np.uint8) for t in (x, y)]
    sheet = np.concatenate([np.concatenate(list(r), axis=1) for r in rows], axis=0)
    Image.fromarray(sheet).save(path)


def _run_from_args(args: argparse.Namespace) -> dict:
    """The run settings a new run takes from the command line (a resumed run keeps its own)."""
    keys = ("batch", "crop", "lr", "kl_weight", "edge_weight", "mse_weight")
    return {k: v for k, v in vars(args).items() if k in keys}


def load_vae_folder(folder: Path, args: argparse.Namespace) -> Checkpoint:
    """A saved AutoencoderKL folder as a step-0 checkpoint: its sizes, weights as EMA, run from args."""
    vae = AutoencoderKL.from_pretrained(folder, torch_dtype=torch.float32)
    sizes = autoencoder_sizes_of(vae)
    run = _run_from_args(args)
    run["scaling_factor"] = float(vae.config.scaling_factor)  # kept when only the decoder trains
    state = {k: v.float() for k, v in vae.state_dict().items()}
    return Checkpoint(0, {"sizes": asdict(sizes), "run": run, "stage": "autoencoder"}, {"ema": state}, [])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA_ROOT)
    parser.add_argument("--out", type=Path, default=RUNS_ROOT / "ae")
    parser.add_argument("--image-size", type=int, default=128)
    parser.add_argument("--channels", type=int, nargs="+", default=[24, 48, 64, 64])
    parser.add_argument("--layers-per-block", type=int, default=1)
    parser.add_argument("--latent-channels", type=int, default=8)
    parser.add_argument("--norm-groups", type=int, default=8)
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--crop", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--kl-weight", type=float, default=1e-6)
    parser.add_argument("--edge-weight", type=float, default=0.5)
    parser.add_argument("--mse-weight", type=float, default=1.0)
    parser.add_argument("--limit", type=int, default=20000, help="training images held in memory")
    parser.add_argument("--save-every", type=int, default=200)
    parser.add_argument("--reload-every", type=int, default=250, help="re-read the data (a render may be running)")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--init-from", type=Path, default=None,
                        help="start a new run from another run's checkpoint (its EMA weights and sizes) "
                             "or from a saved vae folder (e.g. generator/weights/chibi/vae)")
    parser.add_argument("--decoder-only", action="store_true",
                        help="train only the decoder: latents stay valid for an already-trained UNet")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    ckpt_path = args.out / "ckpt.pt"
    ckpt = load_checkpoint(ckpt_path)
    init = None
    if ckpt is None and args.init_from is not None:
        init = load_vae_folder(args.init_from, args) if args.init_from.is_dir() else load_checkpoint(args.init_from)
        if init is None:
            raise SystemExit(f"--init-from {args.init_from}: no checkpoint or vae folder there")
    if ckpt is None and init is not None:
        sizes = AutoencoderSizes(**{k: tuple(v) if isinstance(v, list) else v for k, v in init.config["sizes"].items()})
        run = {**init.config["run"], "decoder_only": args.decoder_only, "lr": args.lr}
        print(f"starting from the EMA weights of {args.init_from} (step {init.step})")
    elif ckpt is not None:  # the checkpoint's own config wins over the command line
        sizes = AutoencoderSizes(**{k: tuple(v) if isinstance(v, list) else v for k, v in ckpt.config["sizes"].items()})
        run = ckpt.config["run"]
        print(f"resuming {ckpt_path} at step {ckpt.step}")
    else:
        sizes = AutoencoderSizes(image_size=args.image_size, channels=tuple(args.channels),
                                 layers_per_block=args.layers_per_block, latent_channels=args.latent_channels,
                                 norm_groups=args.norm_groups)
        run = _run_from_args(args)
    run["steps"] = args.steps  # may be extended on resume
    run.setdefault("mse_weight", args.mse_weight)  # added after the first runs began

    torch.manual_seed(0)
    vae = build_autoencoder(sizes)
    if init is not None:
        vae.load_state_dict(init.state["ema"])
    if run.get("decoder_only"):
        vae.encoder.requires_grad_(False)
        vae.quant_conv.requires_grad_(False)
    ema = EMA(vae, decay=0.999)
    trainable = [p for p in vae.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(trainable, lr=run["lr"], weight_decay=0.0, betas=(0.9, 0.99))
    losses: list[tuple[int, float]] = []
    start = 0
    if ckpt is not None:
        vae.load_state_dict(ckpt.state["model"])
        ema.model.load_state_dict(ckpt.state["ema"])
        opt.load_state_dict(ckpt.state["opt"])
        losses, start = ckpt.losses, ckpt.step

    images, _ = load_split(args.data, "train", sizes.image_size, limit=args.limit)
    try:
        val_images, _ = load_split(args.data, "val", sizes.image_size, limit=64)
    except FileNotFoundError:  # the render may not have reached the validation split yet
        val_images = images[-64:]
    print(f"autoencoder {sizes}: {sum(p.numel() for p in vae.parameters()) / 1e6:.2f} M parameters, "
          f"{len(images)} training images")
    rng = np.random.default_rng(start)
    vae.train()

    def train_step(step: int) -> float:
        nonlocal images
        if args.reload_every and step % args.reload_every == 0 and step > start and len(images) < args.limit:
            images, _ = load_split(args.data, "train", sizes.image_size, limit=args.limit)  # render still running
        for group in opt.param_groups:
            group["lr"] = cosine_lr(step, run["steps"], run["lr"], warmup=100)
        x = random_crops(images, run["batch"], run["crop"], rng)
        if rng.random() < 0.5:
            x = x.flip(-1)
        with torch.set_grad_enabled(not run.get("decoder_only")):
            posterior = vae.encode(x).latent_dist
        # Decode the posterior mean: sampling at the initial log-variance (std ~1) drowns the
        # latents in noise and the decoder learns only blurry, colourless shapes for a long while.
        recon = vae.decode(posterior.mean).sample
        loss = reconstruction_loss(recon, x, run["edge_weight"], run.get("mse_weight", 0.0))
        total = loss + run["kl_weight"] * posterior.kl().mean()
        opt.zero_grad(set_to_none=True)
        total.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        opt.step()
        ema.update(vae, step)
        value = loss.item()
        losses.append((step + 1, value))
        return value

    def save(step: int) -> None:
        config = {"sizes": asdict(sizes), "run": run, "stage": "autoencoder"}
        state = {"model": vae.state_dict(), "ema": ema.model.state_dict(), "opt": opt.state_dict()}
        save_checkpoint(ckpt_path, Checkpoint(step, config, state, losses))
        plot_losses(losses, args.out / "loss.png", "autoencoder reconstruction loss (L1 + MSE + edges)")
        save_reconstructions(ema.model, val_images, args.out / "reconstructions.png")

    run_loop(run["steps"], start, train_step, save, args.save_every, "autoencoder")

    # Export the EMA weights with the measured latent scale.
    # Decoder-only runs keep the encoder, so a UNet trained on its latents keeps its scale too.
    keep = run.get("decoder_only") and run.get("scaling_factor")
    ema.model.register_to_config(scaling_factor=keep or measure_scaling_factor(ema.model, images))
    ema.model.save_pretrained(args.out / "vae")
    with torch.no_grad():
        x = to_model_range(val_images)
        recon = ema.model.decode(ema.model.encode(x).latent_dist.mean).sample
        val_l1 = float(F.l1_loss(recon.clamp(-1, 1), x))
    print(f"saved {args.out / 'vae'} (scaling factor {ema.model.config.scaling_factor:.4f}, "
          f"validation L1 {val_l1:.4f} in [-1, 1] units)")


if __name__ == "__main__":
    main()
