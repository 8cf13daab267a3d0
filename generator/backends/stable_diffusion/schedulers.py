"""Scheduler chosen by name ("euler-a", "dpm++-2m-karras"...), built from the checkpoint's own config."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import diffusers
from diffusers import SchedulerMixin

from generator.backends.stable_diffusion.errors import SDConfigError

# Short names people use (A1111 / ComfyUI style) -> diffusers class and options.
SCHEDULERS: Mapping[str, tuple[str, dict[str, Any]]] = {
    "ddim": ("DDIMScheduler", {}),
    "ddpm": ("DDPMScheduler", {}),
    "pndm": ("PNDMScheduler", {}),
    "lms": ("LMSDiscreteScheduler", {}),
    "euler": ("EulerDiscreteScheduler", {}),
    "euler-a": ("EulerAncestralDiscreteScheduler", {}),
    "heun": ("HeunDiscreteScheduler", {}),
    "dpm++-2m": ("DPMSolverMultistepScheduler", {}),
    "dpm++-2m-karras": ("DPMSolverMultistepScheduler", {"use_karras_sigmas": True}),
    "dpm++-sde": ("DPMSolverSinglestepScheduler", {}),
    "unipc": ("UniPCMultistepScheduler", {}),
    "lcm": ("LCMScheduler", {}),
    "tcd": ("TCDScheduler", {}),
}


def make_scheduler(name: str, current_config: Mapping[str, Any]) -> SchedulerMixin:
    """A scheduler by short name or diffusers class name, keeping the checkpoint's noise schedule."""
    key = name.strip().lower().replace("_", "-")
    class_name, extra = SCHEDULERS.get(key, (name.strip(), {}))
    scheduler_class = getattr(diffusers, class_name, None)
    if not (isinstance(scheduler_class, type) and issubclass(scheduler_class, SchedulerMixin)):
        raise SDConfigError(
            f"unknown scheduler {name!r}; use one of: {', '.join(SCHEDULERS)} (or a diffusers scheduler class name)"
        )
    return scheduler_class.from_config(dict(current_config), **extra)
