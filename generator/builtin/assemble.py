"""Put a trained UNet pipeline, a (fine-tuned) vae and an upscaling decoder into one folder.

    python -m generator.builtin.assemble --pipeline runs/diffusion_cont/pipeline \
        --vae runs/ae_decoder/vae --decoder runs/decoder/decoder --out runs/candidate --fp16

The vae must share the pipeline's encoder and latent scale (a decoder-only fine-tune of the
vae the UNet was trained with); anything else would decode latents the UNet never learned.
The upscaling decoder (train_decoder) must take latents with as many channels.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from diffusers import AutoencoderKL

from generator.builtin.pipeline import ChibiPipeline
from generator.builtin.upscaling_decoder import UpscalingDecoder


def assemble(pipeline: Path, vae: Path | None, out: Path, fp16: bool, decoder: Path | None = None) -> ChibiPipeline:
    pipe = ChibiPipeline.from_pretrained(pipeline, dtype=torch.float32)
    if vae is not None:
        new_vae = AutoencoderKL.from_pretrained(vae, torch_dtype=torch.float32)
        old = pipe.vae
        if new_vae.config.scaling_factor != old.config.scaling_factor or any(
            not torch.equal(a, b) for a, b in zip(old.encoder.state_dict().values(),
                                                  new_vae.encoder.state_dict().values(), strict=True)
        ):
            raise SystemExit(f"{vae}: its encoder or latent scale differs from the pipeline's; "
                             "only a decoder-only fine-tune can be swapped in")
        pipe.register_modules(vae=new_vae)
    if decoder is not None:
        new_decoder = UpscalingDecoder.from_pretrained(decoder, torch_dtype=torch.float32)
        if new_decoder.config.latent_channels != pipe.vae.config.latent_channels:
            raise SystemExit(f"{decoder}: it takes {new_decoder.config.latent_channels} latent channels, "
                             f"the pipeline draws {pipe.vae.config.latent_channels}")
        pipe.register_modules(decoder=new_decoder)
    if fp16:
        pipe = pipe.to(torch.float16)
    pipe.save_pretrained(out)
    return pipe


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pipeline", type=Path, required=True)
    parser.add_argument("--vae", type=Path, default=None)
    parser.add_argument("--decoder", type=Path, default=None, help="an UpscalingDecoder folder (train_decoder)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--fp16", action="store_true")
    args = parser.parse_args(argv)
    assemble(args.pipeline, args.vae, args.out, args.fp16, args.decoder)
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
