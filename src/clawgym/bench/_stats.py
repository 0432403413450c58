"""Small, exact statistics the benchmark reports rest on (numpy only)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from clawgym.stats import wilson  # the one copy; bench.wilson keeps its name


def pass_at_k(n: int, c: int, k: int) -> float:
    """The unbiased pass@k estimator (Chen et al. 2021): the chance that at least one of k
    attempts drawn without replacement from n, of which c passed, passes: 1 - C(n-c, k) / C(n, k).
    Needs k <= n; computed as a product so large n never overflows."""
    if k > n:
        raise ValueError(f"pass@{k} needs at least {k} attempts, got {n}")
    if n - c < k:
        return 1.0
    return 1.0 - float(np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def bootstrap_mean(values: Sequence[float] | np.ndarray, *, reps: int = 2000, seed: int = 0,
                   level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of a mean (resampling the given units, e.g. tasks)."""
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        return 0.0, 0.0
    if x.size == 1 or np.all(x == x[0]):
        return float(x[0]), float(x[0])
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, x.size, size=(reps, x.size))].mean(axis=1)
    lo, hi = np.quantile(means, [(1 - level) / 2, 1 - (1 - level) / 2])
    return float(lo), float(hi)


def spearman(a: Sequence[float], b: Sequence[float]) -> float:
    """Spearman rank correlation (average ranks for ties)."""
    ra, rb = _ranks(np.asarray(a, float)), _ranks(np.asarray(b, float))
    ra, rb = ra - ra.mean(), rb - rb.mean()
    den = math.sqrt(float((ra * ra).sum() * (rb * rb).sum()))
    return float((ra * rb).sum() / den) if den else 0.0


def _ranks(x: np.ndarray) -> np.ndarray:
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(len(x), float)
    ranks[order] = np.arange(len(x), dtype=float)
    # average the ranks of ties
    _, inv, counts = np.unique(x, return_inverse=True, return_counts=True)
    sums = np.bincount(inv, weights=ranks)
    return sums[inv] / counts[inv]


def fit_rasch(successes: np.ndarray, trials: np.ndarray, *, prior_sd: float = 2.0, iters: int = 50,
              tol: float = 1e-6) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A 1-parameter item-response (Rasch) model over models x tasks, binomial counts:

        P(an attempt of model m on task t passes) = sigmoid(theta_m - b_t)

    fitted by maximum a posteriori with independent N(0, prior_sd^2) priors on every theta and b
    (which keeps tasks no model passes, or every model passes, finite, and pins the scale's
    origin), by alternating Newton steps: each b_t given theta, then each theta_m given b (both
    are one-dimensional, concave problems, so each step is exact Newton on a diagonal Hessian).

    successes, trials: (models, tasks) arrays; a cell with 0 trials contributes nothing.
    Returns (theta, theta_se, b, b_se); the standard errors are 1/sqrt(Fisher information +
    prior precision) at the optimum (the Laplace approximation, conditional on the other side).
    """
    s = np.asarray(successes, float)
    n = np.asarray(trials, float)
    m, t = s.shape
    theta, b = np.zeros(m), np.zeros(t)
    prec = 1.0 / prior_sd ** 2
    for _ in range(iters):
        p = _sigmoid(theta[:, None] - b[None, :])
        w = n * p * (1 - p)
        # b: d/db loglik = -(s - n p); d2 = -w
        gb = -(s - n * p).sum(axis=0) - prec * b
        hb = w.sum(axis=0) + prec
        step_b = gb / hb
        b = b + np.clip(step_b, -2, 2)
        p = _sigmoid(theta[:, None] - b[None, :])
        w = n * p * (1 - p)
        gt = (s - n * p).sum(axis=1) - prec * theta
        ht = w.sum(axis=1) + prec
        step_t = gt / ht
        theta = theta + np.clip(step_t, -2, 2)
        if max(np.abs(step_b).max(initial=0), np.abs(step_t).max(initial=0)) < tol:
            break
    p = _sigmoid(theta[:, None] - b[None, :])
    w = n * p * (1 - p)
    return theta, 1 / np.sqrt(w.sum(axis=1) + prec), b, 1 / np.sqrt(w.sum(axis=0) + prec)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -35, 35)))
