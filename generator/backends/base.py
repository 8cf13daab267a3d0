"""The generator backend interface: a batch of render requests in, images with their safety flags out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Optional, Protocol, runtime_checkable

from PIL import Image

from core.errors import GenerationFailed
from core.spec import AvatarSpec

RenderKind = Literal["create", "reroll", "variation", "mix", "photo", "frame", "edit", "pack"]


@dataclass(frozen=True)
class MixSource:
    """The second avatar of a mix: its spec and seed."""

    spec: AvatarSpec
    seed: int


@dataclass(frozen=True)
class RenderRequest:
    """One image to render.

    create/reroll: `spec` + `seed`.
    variation: `spec` + `seed` of the original, noise perturbed by `variation_seed`
        with `strength` in 0..1 (0 gives the original back).
    mix: `spec`/`seed` are avatar A, `mix_with` is avatar B, `mix_ratio` 0..1 moves towards B.
    photo: `init_image` turned into an avatar of `spec` with `strength` in 0..1.
    frame: one frame of an animation: the avatar of `spec` + `seed` (its own noise) with its
        conditioning moved by `mix_ratio` towards the same avatar showing `mix_with.spec.expression`.
    edit / pack: `spec` is the original's spec with some attributes changed (a pack: the expression),
        `seed` the original's, `source_spec` the original's spec: the backend keeps the character,
        e.g. by following the source for its first `shared_steps` denoising steps.

    `strength` and `mix_ratio` left as None mean "the backend's own default": each backend owns
    the defaults of what it draws (jobs carry only what a person chose).
    """

    spec: AvatarSpec
    seed: int
    kind: RenderKind = "create"
    strength: Optional[float] = None
    variation_seed: Optional[int] = None
    mix_with: Optional[MixSource] = None
    mix_ratio: Optional[float] = None
    init_image: Optional[Image.Image] = None
    source_spec: Optional[AvatarSpec] = None
    shared_steps: Optional[int] = None


@dataclass(frozen=True)
class RenderResult:
    """What one render call made, like a diffusers pipeline output: the images in request order,
    and one safety flag per image (True: send it to the moderators, do not post it; diffusers
    calls this `nsfw_content_detected`). A backend without a safety check flags nothing."""

    images: list[Image.Image]
    flagged: list[bool] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.flagged:
            object.__setattr__(self, "flagged", [False] * len(self.images))
        if len(self.flagged) != len(self.images):
            raise GenerationFailed(
                f"the generator returned {len(self.flagged)} safety flags for {len(self.images)} images"
            )


@runtime_checkable
class GeneratorBackend(Protocol):
    """What the worker needs of a generator. Loaded once per worker process."""

    @property
    def name(self) -> str:
        """Short backend name stored on each job ("builtin", "stable-diffusion")."""

    @property
    def model_version(self) -> str:
        """Identifies the weights (e.g. a content hash), stored on each job."""

    @property
    def kinds(self) -> frozenset[str]:
        """Render kinds this backend can do."""

    def render(self, requests: Sequence[RenderRequest]) -> RenderResult:
        """Render every request, in order, in as few model calls as it can; one image (and one
        safety flag) per request.

        Raises core.errors.GenerationFailed (or TransientGenerationError for
        retryable faults) with a readable message.
        """
