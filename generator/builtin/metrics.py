"""Feature-space figures for evaluation: Frechet distance and pairwise diversity."""

from __future__ import annotations

import numpy as np
from scipy import linalg


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Frechet distance between Gaussians fitted to two feature sets (rows are samples)."""
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean, _ = linalg.sqrtm(cov_a @ cov_b, disp=False)
    if not np.isfinite(covmean).all():  # near-singular product: regularise, as pytorch-fid does
        offset = np.eye(cov_a.shape[0]) * 1e-6
        covmean = linalg.sqrtm((cov_a + offset) @ (cov_b + offset))
    covmean = covmean.real
    value = float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * np.trace(covmean))
    return max(0.0, value)  # a distance; rounding in sqrtm of a singular product can dip below 0


def mean_pairwise_distance(features: np.ndarray) -> float:
    """Mean Euclidean distance over all distinct pairs of rows."""
    n = len(features)
    if n < 2:
        return float("nan")
    diffs = features[:, None, :] - features[None, :, :]
    dists = np.sqrt((diffs**2).sum(-1))
    return float(dists[np.triu_indices(n, k=1)].mean())
