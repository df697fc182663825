"""Device-dependent training settings: precision, memory format, compilation, test interval, cuDNN autotuning.

Each setting is ``"auto"`` or an explicit value; :meth:`TrainSettings.resolve` turns
``auto`` into the device's choice:

| setting | CUDA | CPU | explicit values |
|---|---|---|---|
| ``precision`` | ``bf16`` (autocast) | ``off`` (float32) | ``bf16``, ``off`` |
| ``channels_last`` | on | off | ``true``/``false`` (``on``/``off``) |
| ``compile`` (``torch.compile``) | on | off | ``true``/``false`` (``on``/``off``) |
| ``eval_every`` (epochs) | 10 | 1 | integer ≥ 1 |
| ``cudnn_benchmark`` | on iff k = 1 | off | ``true``/``false`` (``on``/``off``) |

``cudnn_benchmark`` (``torch.backends.cudnn.benchmark``) times every convolution algorithm
once per shape and keeps the fastest; with k = ``gpu.jobs_per_gpu`` > 1 jobs sharing the GPU
those timings measure the other jobs' load, so ``auto`` tunes only a job that has its GPU alone.

Every combination runs on either device. YAML 1.1 reads a bare ``on``/``off`` as a
boolean, so ``precision: off`` arrives as ``False`` and is accepted as ``"off"``.
Only CPU + ``off`` + no channels_last + no compile is bit-reproducible across a resume.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch

PRECISIONS = ("bf16", "off")
AUTO = "auto"
CUDA_EVAL_EVERY = 10


def _switch(key: str, value: Any) -> bool | str:
    """``auto`` stays; booleans and ``on``/``true``/``off``/``false`` (any case) become booleans."""
    if isinstance(value, bool):
        return value
    word = value.lower() if isinstance(value, str) else None
    if word == AUTO:
        return AUTO
    if word in ("on", "true", "off", "false"):
        return word in ("on", "true")
    raise ValueError(f"training.{key}: expected auto, on/true or off/false, got {value!r}")


@dataclass(frozen=True)
class TrainSettings:
    """How a run is executed (not what it learns): see the module table for ``auto``."""

    precision: str = AUTO
    channels_last: bool | str = AUTO
    compile: bool | str = AUTO
    eval_every: int | str = AUTO
    cudnn_benchmark: bool | str = AUTO

    def __post_init__(self) -> None:
        precision = "off" if self.precision is False else self.precision
        if precision not in (AUTO, *PRECISIONS):
            raise ValueError(f"training.precision: expected auto, bf16 or off, got {self.precision!r}")
        object.__setattr__(self, "precision", precision)
        object.__setattr__(self, "channels_last", _switch("channels_last", self.channels_last))
        object.__setattr__(self, "compile", _switch("compile", self.compile))
        object.__setattr__(self, "cudnn_benchmark", _switch("cudnn_benchmark", self.cudnn_benchmark))
        every = self.eval_every
        if every != AUTO and (isinstance(every, bool) or not isinstance(every, int) or every < 1):
            raise ValueError(f"training.eval_every: expected auto or an integer ≥ 1, got {every!r}")

    @classmethod
    def from_dict(cls, values: Mapping[str, Any] | None) -> TrainSettings:
        """Settings from the config's ``training`` section (missing keys: ``auto``)."""
        values = dict(values or {})
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown training keys {unknown}; valid keys are {sorted(known)}")
        return cls(**values)

    def resolve(self, device: torch.device | str, jobs_per_gpu: int = 1) -> TrainSettings:
        """Replace every ``auto`` by the choice for ``device`` (CUDA: fast; anything else: plain float32).

        ``jobs_per_gpu`` is k, the number of jobs that share the job's GPU: ``cudnn_benchmark``
        resolves to ``cuda and k == 1``.
        """
        if jobs_per_gpu < 1:
            raise ValueError(f"gpu.jobs_per_gpu: expected an integer ≥ 1, got {jobs_per_gpu!r}")
        cuda = torch.device(device).type == "cuda"
        return TrainSettings(
            precision=("bf16" if cuda else "off") if self.precision == AUTO else self.precision,
            channels_last=cuda if self.channels_last == AUTO else self.channels_last,
            compile=cuda if self.compile == AUTO else self.compile,
            eval_every=(CUDA_EVAL_EVERY if cuda else 1) if self.eval_every == AUTO else self.eval_every,
            cudnn_benchmark=(cuda and jobs_per_gpu == 1) if self.cudnn_benchmark == AUTO else self.cudnn_benchmark,
        )

    @property
    def resolved(self) -> bool:
        """True when no setting is ``auto``."""
        return AUTO not in (self.precision, self.channels_last, self.compile, self.eval_every, self.cudnn_benchmark)

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (inverse of :meth:`from_dict`)."""
        return dataclasses.asdict(self)
