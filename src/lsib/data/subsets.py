"""Class-balanced, seeded subsets of a split (``(images, labels)``), shared by data sets and sources."""

from __future__ import annotations

import torch

Split = tuple[torch.Tensor, torch.Tensor]


def balanced_subset(labels: torch.Tensor, n: int, seed: int, num_classes: int | None = None) -> torch.Tensor:
    """Seeded, class-balanced choice of ``n`` indices into ``labels`` (sorted ascending).

    Exact rule: with ``K = num_classes`` (default ``max(labels) + 1``), every class gets
    ``n // K`` images and classes ``0 … (n % K) − 1`` one more. A single
    ``torch.Generator`` seeded with ``seed`` then, class by class in increasing order, draws
    ``torch.randperm`` over that class's indices (ascending) and keeps the first quota of them.
    The result depends only on ``labels``, ``n``, ``seed`` and ``K``.

    Raises:
        ValueError: ``n`` is not in ``[1, len(labels)]`` or a class has too few images.
    """
    labels = torch.as_tensor(labels, dtype=torch.int64)
    k = int(labels.max()) + 1 if num_classes is None else num_classes
    if not 1 <= n <= labels.numel():
        raise ValueError(f"subset size {n} is not in [1, {labels.numel()}]")
    g = torch.Generator().manual_seed(seed)
    chosen = []
    for c in range(k):
        quota = n // k + (1 if c < n % k else 0)
        members = torch.nonzero(labels == c).flatten()
        if members.numel() < quota:
            raise ValueError(f"class {c} has {members.numel()} images, fewer than the {quota} a balanced subset of {n} needs")
        perm = torch.randperm(members.numel(), generator=g)
        chosen.append(members[perm[:quota]])
    return torch.sort(torch.cat(chosen)).values


def take(split: Split, idx: torch.Tensor) -> Split:
    return split[0][idx].contiguous(), split[1][idx].contiguous()
