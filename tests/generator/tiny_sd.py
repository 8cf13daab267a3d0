"""A tiny random Stable Diffusion pipeline, built offline.

There are no real weights on the development machines, so tests, the CPU
benchmark and smoke checks use this: the same classes and file layouts as a
real SD 1.5 or SDXL checkpoint (diffusers folder, or one original-format
.safetensors file), a few thousand parameters each, random weights.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import torch
from diffusers import (
    AutoencoderKL,
    EulerDiscreteScheduler,
    PNDMScheduler,
    StableDiffusionPipeline,
    StableDiffusionXLPipeline,
    UNet2DConditionModel,
)
from diffusers.pipelines.stable_diffusion.safety_checker import StableDiffusionSafetyChecker
from safetensors.torch import save_file
from transformers import (
    CLIPConfig,
    CLIPImageProcessor,
    CLIPTextConfig,
    CLIPTextModel,
    CLIPTextModelWithProjection,
    CLIPTokenizer,
)

TinyFamily = Literal["sd15", "sdxl"]

# Image side the tiny models are made for (latent 16 x 16 with the 2-block VAE).
TINY_IMAGE_SIZE = 32

# A few merges so common prompt words become single tokens, as in the real CLIP vocabulary.
_MERGES = ("c h", "i b", "ch ib", "chib i</w>", "c u", "cu t", "cut e</w>")


def _byte_symbols() -> list[str]:
    # CLIP's byte-level BPE maps each byte to a printable character (GPT-2's table).
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    codes = printable[:]
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            codes.append(256 + extra)
            extra += 1
    return [chr(c) for c in codes]


def write_tiny_tokenizer_files(folder: Path) -> int:
    """Write a CLIP vocab.json / merges.txt into `folder`; returns the vocabulary size."""
    symbols = _byte_symbols()
    vocab: dict[str, int] = {}
    for token in [*symbols, *(s + "</w>" for s in symbols), *(m.replace(" ", "") for m in _MERGES)]:
        vocab.setdefault(token, len(vocab))
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(_MERGES) + "\n", encoding="utf-8")
    return len(vocab)


def _tokenizer(workdir: Path) -> CLIPTokenizer:
    write_tiny_tokenizer_files(workdir)
    return CLIPTokenizer.from_pretrained(workdir, model_max_length=77)


def _text_config(tokenizer: CLIPTokenizer, hidden: int, projection: int | None = None) -> CLIPTextConfig:
    return CLIPTextConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        intermediate_size=37,
        num_attention_heads=4,
        num_hidden_layers=2,
        max_position_embeddings=77,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        projection_dim=projection or hidden,
        hidden_act="gelu",
    )


def _vae() -> AutoencoderKL:
    return AutoencoderKL(
        block_out_channels=(8, 16),
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"),
        latent_channels=4,
        layers_per_block=1,
        norm_num_groups=4,
        sample_size=TINY_IMAGE_SIZE,
    )


def tiny_safety_checker(flag_everything: bool) -> tuple[StableDiffusionSafetyChecker, CLIPImageProcessor]:
    """A random safety checker; with `flag_everything` its thresholds make every image 'unsafe'."""
    config = CLIPConfig(
        text_config={"hidden_size": 16, "intermediate_size": 37, "num_attention_heads": 4, "num_hidden_layers": 1},
        vision_config={
            "hidden_size": 16,
            "intermediate_size": 37,
            "num_attention_heads": 4,
            "num_hidden_layers": 1,
            "image_size": 32,
            "patch_size": 8,
        },
        projection_dim=8,
    )
    checker = StableDiffusionSafetyChecker(config).eval()
    if flag_everything:
        with torch.no_grad():
            # A concept is flagged when cosine similarity - threshold > 0: a threshold of -2 always is.
            checker.concept_embeds_weights.fill_(-2.0)
    processor = CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    return checker, processor


def build_tiny_pipeline(
    family: TinyFamily = "sd15",
    *,
    seed: int = 0,
    workdir: Path,
    safety_checker: Literal["none", "pass", "flag"] = "none",
) -> StableDiffusionPipeline | StableDiffusionXLPipeline:
    """A random pipeline of `family`; `workdir` receives the tokenizer files it is made from."""
    torch.manual_seed(seed)
    tokenizer = _tokenizer(workdir / "tokenizer-src")
    if family == "sd15":
        unet = UNet2DConditionModel(
            block_out_channels=(16, 32),
            layers_per_block=1,
            sample_size=TINY_IMAGE_SIZE // 2,
            in_channels=4,
            out_channels=4,
            down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
            up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
            cross_attention_dim=32,
            attention_head_dim=8,
            norm_num_groups=8,
        )
        scheduler = PNDMScheduler(
            beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", skip_prk_steps=True, steps_offset=1
        )
        checker, processor = tiny_safety_checker(safety_checker == "flag") if safety_checker != "none" else (None, None)
        return StableDiffusionPipeline(
            vae=_vae(),
            text_encoder=CLIPTextModel(_text_config(tokenizer, 32)).eval(),
            tokenizer=tokenizer,
            unet=unet,
            scheduler=scheduler,
            safety_checker=checker,
            feature_extractor=processor,
            requires_safety_checker=False,
        )
    if family == "sdxl":
        unet = UNet2DConditionModel(
            block_out_channels=(16, 32),
            layers_per_block=1,
            sample_size=TINY_IMAGE_SIZE // 2,
            in_channels=4,
            out_channels=4,
            down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
            up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
            attention_head_dim=(2, 4),
            use_linear_projection=True,
            addition_embed_type="text_time",
            addition_time_embed_dim=8,
            transformer_layers_per_block=(1, 1),
            projection_class_embeddings_input_dim=16 + 6 * 8,  # pooled text (16) + six size/crop numbers
            cross_attention_dim=32,  # both text encoders side by side: 16 + 16
            norm_num_groups=8,
        )
        scheduler = EulerDiscreteScheduler(
            beta_start=0.00085,
            beta_end=0.012,
            beta_schedule="scaled_linear",
            steps_offset=1,
            timestep_spacing="leading",
        )
        return StableDiffusionXLPipeline(
            vae=_vae(),
            text_encoder=CLIPTextModel(_text_config(tokenizer, 16)).eval(),
            text_encoder_2=CLIPTextModelWithProjection(_text_config(tokenizer, 16, projection=16)).eval(),
            tokenizer=tokenizer,
            tokenizer_2=tokenizer,
            unet=unet,
            scheduler=scheduler,
        )
    raise ValueError(f"unknown tiny family {family!r}; use 'sd15' or 'sdxl'")


def save_tiny_folder(folder: Path, family: TinyFamily = "sd15", **kwargs: object) -> Path:
    """Build a tiny pipeline and save it as a diffusers folder (safetensors weights)."""
    folder = Path(folder)
    pipe = build_tiny_pipeline(family, workdir=folder.parent / f".{folder.name}-work", **kwargs)  # type: ignore[arg-type]
    pipe.save_pretrained(folder, safe_serialization=True)
    return folder


# -- diffusers -> original (LDM) layout, for single-file checkpoints -----------------

_UNET_RESNET = (
    ("in_layers.0", "norm1"),
    ("in_layers.2", "conv1"),
    ("out_layers.0", "norm2"),
    ("out_layers.3", "conv2"),
    ("emb_layers.1", "time_emb_proj"),
    ("skip_connection", "conv_shortcut"),
)
_VAE_ATTENTION = (
    ("norm.", "group_norm."),
    ("q.", "to_q."),
    ("k.", "to_k."),
    ("v.", "to_v."),
    ("proj_out.", "to_out.0."),
)


def _unet_prefix_map(unet: UNet2DConditionModel) -> list[tuple[str, str]]:
    """(original prefix, diffusers prefix) pairs of every UNet block, from its config."""
    cfg = unet.config
    per_down = cfg.layers_per_block
    n_blocks = len(cfg.block_out_channels)
    pairs = [
        ("time_embed.0.", "time_embedding.linear_1."),
        ("time_embed.2.", "time_embedding.linear_2."),
        ("input_blocks.0.0.", "conv_in."),
        ("out.0.", "conv_norm_out."),
        ("out.2.", "conv_out."),
        ("middle_block.0.", "mid_block.resnets.0."),
        ("middle_block.1.", "mid_block.attentions.0."),
        ("middle_block.2.", "mid_block.resnets.1."),
    ]
    for i in range(n_blocks):
        for j in range(per_down):
            index = 1 + i * (per_down + 1) + j
            pairs.append((f"input_blocks.{index}.0.", f"down_blocks.{i}.resnets.{j}."))
            pairs.append((f"input_blocks.{index}.1.", f"down_blocks.{i}.attentions.{j}."))
        if i < n_blocks - 1:
            pairs.append((f"input_blocks.{(i + 1) * (per_down + 1)}.0.op.", f"down_blocks.{i}.downsamplers.0.conv."))
        has_attention = "CrossAttn" in cfg.up_block_types[i]
        for j in range(per_down + 1):
            index = i * (per_down + 1) + j
            pairs.append((f"output_blocks.{index}.0.", f"up_blocks.{i}.resnets.{j}."))
            pairs.append((f"output_blocks.{index}.1.", f"up_blocks.{i}.attentions.{j}."))
        if i < n_blocks - 1:
            last = i * (per_down + 1) + per_down
            pairs.append(
                (f"output_blocks.{last}.{2 if has_attention else 1}.conv.", f"up_blocks.{i}.upsamplers.0.conv.")
            )
    return pairs


def _to_original_unet(unet: UNet2DConditionModel) -> dict[str, torch.Tensor]:
    pairs = sorted(_unet_prefix_map(unet), key=lambda p: -len(p[1]))  # longest diffusers prefix wins
    out = {}
    for key, tensor in unet.state_dict().items():
        for original, diffusers in pairs:
            if key.startswith(diffusers):
                rest = key[len(diffusers) :]
                if ".resnets." in diffusers:
                    for old, new in _UNET_RESNET:
                        if rest.startswith(new + "."):
                            rest = old + rest[len(new) :]
                out["model.diffusion_model." + original + rest] = tensor
                break
        else:
            raise ValueError(f"no original name for UNet weight {key}")
    return out


def _to_original_vae(vae: AutoencoderKL) -> dict[str, torch.Tensor]:
    n_blocks = len(vae.config.block_out_channels)
    per = vae.config.layers_per_block
    pairs = []
    for coder in ("encoder", "decoder"):
        pairs += [(f"{coder}.mid.block_{j + 1}.", f"{coder}.mid_block.resnets.{j}.") for j in range(2)]
        pairs.append((f"{coder}.mid.attn_1.", f"{coder}.mid_block.attentions.0."))
        pairs.append((f"{coder}.norm_out.", f"{coder}.conv_norm_out."))
    for i in range(n_blocks):
        for j in range(per):
            pairs.append((f"encoder.down.{i}.block.{j}.", f"encoder.down_blocks.{i}.resnets.{j}."))
        if i < n_blocks - 1:
            pairs.append((f"encoder.down.{i}.downsample.", f"encoder.down_blocks.{i}.downsamplers.0."))
            pairs.append((f"decoder.up.{n_blocks - 1 - i}.upsample.", f"decoder.up_blocks.{i}.upsamplers.0."))
        for j in range(per + 1):
            pairs.append((f"decoder.up.{n_blocks - 1 - i}.block.{j}.", f"decoder.up_blocks.{i}.resnets.{j}."))
    pairs.sort(key=lambda p: -len(p[1]))
    out = {}
    for key, tensor in vae.state_dict().items():
        new_key = key
        for original, diffusers in pairs:
            if key.startswith(diffusers):
                new_key = original + key[len(diffusers) :]
                break
        new_key = new_key.replace("conv_shortcut", "nin_shortcut")
        if ".attn_1." in new_key:
            for old, new in _VAE_ATTENTION:
                new_key = new_key.replace(".attn_1." + new, ".attn_1." + old)
            if tensor.ndim == 2:  # the original attention uses 1x1 convolutions
                tensor = tensor[:, :, None, None]
        out["first_stage_model." + new_key] = tensor
    return out


def save_single_file(pipe: StableDiffusionPipeline, path: Path) -> Path:
    """Save an SD 1.x pipeline as one original-layout .safetensors file (what model sites share)."""
    text = {}
    for key, tensor in pipe.text_encoder.state_dict().items():
        inner = key if key.startswith("text_model.") else "text_model." + key
        text["cond_stage_model.transformer." + inner] = tensor
    weights = {**_to_original_unet(pipe.unet), **_to_original_vae(pipe.vae), **text}
    save_file({k: v.contiguous() for k, v in weights.items()}, str(path))
    return Path(path)


def save_tiny_lora(model_folder: Path, path: Path, rank: int = 4, seed: int = 1) -> Path:
    """A random LoRA for the UNet of the tiny SD 1.5 pipeline in `model_folder`, saved as one file."""
    from peft import LoraConfig
    from peft.utils import get_peft_model_state_dict

    unet = UNet2DConditionModel.from_pretrained(model_folder, subfolder="unet", local_files_only=True)
    torch.manual_seed(seed)
    # init_lora_weights=False: random A and B, so the adapter visibly changes the output.
    config = LoraConfig(
        r=rank, lora_alpha=rank, target_modules=["to_q", "to_k", "to_v", "to_out.0"], init_lora_weights=False
    )
    unet.add_adapter(config)
    layers = get_peft_model_state_dict(unet)
    path = Path(path)
    StableDiffusionPipeline.save_lora_weights(path.parent, unet_lora_layers=layers, weight_name=path.name)
    return path
