"""Attribute tokens -> conditioning vectors: one embedding row per (attribute, value)."""

from __future__ import annotations

import torch
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.modeling_utils import ModelMixin
from torch import nn


class AttributeEncoder(ModelMixin, ConfigMixin):
    """Embeds one token per attribute into a (B, n_attributes, dim) sequence.

    Token 0 of every attribute is its learned null token ("not chosen"); the
    tables are concatenated with per-attribute offsets, so the position of a
    token in the sequence also tells which attribute it belongs to.
    """

    @register_to_config
    def __init__(self, sizes: tuple[int, ...] = (2,), dim: int = 64, attribute_names: tuple[str, ...] = ()):
        super().__init__()
        # Plain list, not a buffer: buffers can be left on the meta device by lazy loading.
        self._offsets = [sum(sizes[:i]) for i in range(len(sizes))]
        self.embedding = nn.Embedding(sum(sizes), dim)
        nn.init.normal_(self.embedding.weight, std=0.02)
        self.position = nn.Parameter(torch.zeros(len(sizes), dim))
        self.mlp = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, dim), nn.SiLU(), nn.Linear(dim, dim))
        self.norm = nn.LayerNorm(dim)

    @property
    def n_attributes(self) -> int:
        return len(self.config.sizes)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """tokens: (B, n_attributes) int64, each within its attribute's size."""
        offsets = torch.tensor(self._offsets, dtype=torch.long, device=tokens.device)
        hidden = self.embedding(tokens + offsets) + self.position
        return self.norm(hidden + self.mlp(hidden))
