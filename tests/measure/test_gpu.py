"""The CUDA path: bf16 + channels_last + torch.compile training, inference, Grad-CAM, resume, the quick graph.

Run with ``pytest -m gpu``; without a CUDA device every test here is collected and skipped.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest
import torch
from workflow_helpers import copy_workflow, snakemake

from lsib.info.information import information_plane
from lsib.measure.inference import penultimate_features, predict_proba
from lsib.measure.information import empirical_data
from lsib.measure.saliency import gradcam_maps
from lsib.models import build_model
from lsib.models.forward import normalize
from lsib.models.store import load_trained, save_trained
from lsib.train.device import seed_everything
from lsib.train.loop import batch_sizes, build_loop
from lsib.train.losses import Objective
from lsib.train.recipe import CCT_RECIPE, Recipe
from lsib.train.run import train
from lsib.train.settings import TrainSettings

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")]

FAST = TrainSettings(precision="bf16", channels_last=True, compile=True, eval_every=1)
CLASSES = 4


def blobs(n: int, channels: int, size: int, seed: int = 0) -> dict:
    """Separable uint8 images: class k is a flat grey level 40 + 50k plus noise."""
    g = torch.Generator().manual_seed(seed)

    def split(m: int) -> tuple[torch.Tensor, torch.Tensor]:
        y = torch.arange(m) % CLASSES
        x = 40.0 + 50.0 * y[:, None, None, None] + 10.0 * torch.randn(m, channels, size, size, generator=g)
        return x.clamp(0, 255).to(torch.uint8), y

    (train_x, train_y), (test_x, test_y) = split(n), split(n // 2)
    return {
        "train_x": train_x,
        "train_y": train_y,
        "test_x": test_x,
        "test_y": test_y,
        "mean": [0.5] * channels,
        "std": [0.25] * channels,
        "classes": [str(k) for k in range(CLASSES)],
    }


RECIPES = {
    "resnet20": Recipe.from_dict({"lr": 0.05, "epochs": 2, "milestones": [], "batch_size": 128}),
    "cct_7_7x2": Recipe.from_dict({**CCT_RECIPE.to_dict(), "epochs": 2, "cooldown_epochs": 0, "warmup_epochs": 0}),
}


@functools.cache
def data_for(name: str) -> dict:
    """512 images of 32 px for ResNet-20; 192 of 224 px (two CCT batches) for CCT-7/7x2."""
    return blobs(512, 3, 32) if name == "resnet20" else blobs(192, 3, 224)


def fit(name: str, run_dir: Path, log=lambda s: None, seed: int = 0):
    data = data_for(name)
    seed_everything(seed)
    model = build_model(name, CLASSES, 3, data["train_x"].shape[-1])
    result = train(model, Objective("ls", 0.1, CLASSES), data, RECIPES[name], seed, run_dir, log, "cuda", FAST)
    return model, result


@pytest.mark.parametrize("name", list(RECIPES))
def test_two_epochs_with_bf16_channels_last_and_compile(tmp_path: Path, name: str) -> None:
    lines: list[str] = []
    model, result = fit(name, tmp_path, lines.append)
    assert result.execution == {
        "device": "cuda",
        "precision": "bf16",
        "channels_last": True,
        "compile": True,
        "eval_every": 1,
        "cudnn_benchmark": True,  # resolved as a job alone on its GPU (k = 1)
        "compiled": True,
        "optimizer": "fused",
    }, lines
    assert [r["epoch"] for r in result.rows] == [1, 2]
    assert all(np.isfinite(r["loss"]) for r in result.rows)
    data = data_for(name)
    proba = predict_proba(model, data["train_x"], data["mean"], data["std"], device="cuda")
    assert proba.dtype == torch.float64 and proba.shape == (len(data["train_y"]), CLASSES)
    assert torch.all((proba.sum(dim=1) - 1).abs() <= 1e-12)


def test_features_and_gradcam_on_cuda_match_the_cpu(tmp_path: Path) -> None:
    model, _ = fit("resnet20", tmp_path)
    data = data_for("resnet20")
    path = tmp_path / "model.pt"
    arch = {"name": "resnet20", "num_classes": CLASSES, "in_channels": 3, "image_size": 32}
    save_trained(path, model, arch, {})
    on_gpu, _ = load_trained(path, "cuda")
    on_cpu, _ = load_trained(path, "cpu")
    images = data["test_x"][:64]
    gpu_features = penultimate_features(on_gpu, images, data["mean"], data["std"], device="cuda")
    cpu_features = penultimate_features(on_cpu, images, data["mean"], data["std"], device="cpu")
    assert gpu_features.device.type == "cpu" and gpu_features.shape == (64, on_gpu.feature_dim)
    torch.testing.assert_close(gpu_features, cpu_features, rtol=1e-2, atol=1e-2)
    x = normalize(images.float().div(255), torch.tensor(data["mean"]), torch.tensor(data["std"]))
    gpu_cam = gradcam_maps(on_gpu, x.cuda(), on_gpu.last_stage)
    cpu_cam = gradcam_maps(on_cpu, x, on_cpu.last_stage)
    assert gpu_cam.maps.shape == (64, 32, 32) and np.all((gpu_cam.maps >= 0) & (gpu_cam.maps <= 1))
    assert np.array_equal(gpu_cam.predicted, cpu_cam.predicted)
    assert np.abs(gpu_cam.maps - cpu_cam.maps).mean() < 1e-2


def test_cuda_and_cpu_dumps_agree_in_information_within_the_float32_bound(tmp_path: Path) -> None:
    """docs/running.md: log-probabilities within δ give |ΔÎ| ≤ 2δ(1 + ln K) (δ ≤ 2Δ for logits within Δ)."""
    model, _ = fit("resnet20", tmp_path)
    data = data_for("resnet20")
    path = tmp_path / "model.pt"
    save_trained(path, model, {"name": "resnet20", "num_classes": CLASSES, "in_channels": 3, "image_size": 32}, {})
    dumps = {
        device: predict_proba(load_trained(path, device)[0], data["train_x"], data["mean"], data["std"], device=device)
        for device in ("cuda", "cpu")
    }
    delta = (dumps["cuda"].log() - dumps["cpu"].log()).abs().max().item()
    empirical, first = empirical_data(data["train_x"], data["train_y"], CLASSES)
    planes = {device: information_plane(proba[first], empirical) for device, proba in dumps.items()}
    assert delta <= 2e-3, "TF32 or another precision loss in the CUDA dump"
    for key in ("i_xz", "i_zy"):
        assert abs(float(planes["cuda"][key] - planes["cpu"][key])) <= 2 * delta * (1 + np.log(CLASSES)) + 1e-12


def test_an_epoch_never_waits_for_the_gpu() -> None:
    """No host synchronisation inside an epoch: CUDA's sync debug mode turns any into an error."""
    data = data_for("resnet20")
    seed_everything(0)
    model = build_model("resnet20", CLASSES, 3, 32)
    loop = build_loop(model, Objective("ls", 0.1, CLASSES), RECIPES["resnet20"], data, torch.device("cuda"), FAST)
    train_x, train_y = data["train_x"].cuda(), data["train_y"].cuda()
    loop.compile((3, 32, 32), batch_sizes(len(train_y), 128), [], lambda s: None)
    generator = torch.Generator().manual_seed(0)
    loop.epoch(train_x, train_y, generator)  # first epoch: cuDNN autotuning may synchronise
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        sums = loop.epoch(train_x, train_y, generator)
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert sums.images == len(train_y) and torch.isfinite(sums.loss_sum).item()


class Killed(Exception):
    pass


def test_killed_cuda_run_resumes_close_to_an_uninterrupted_one(tmp_path: Path) -> None:
    """bf16 + compile are not bit-reproducible; the tolerance: weights within 2 % (relative L2), loss within 2 %."""
    full, full_result = fit("resnet20", tmp_path / "full")

    def kill_after_first(line: str) -> None:
        if line.startswith("epoch 1/"):
            raise Killed

    with pytest.raises(Killed):
        fit("resnet20", tmp_path / "resumed", kill_after_first)
    lines: list[str] = []
    resumed, resumed_result = fit("resnet20", tmp_path / "resumed", lines.append)
    assert lines[0].startswith("resuming from") and [r["epoch"] for r in resumed_result.rows] == [1, 2]
    a = torch.cat([p.detach().float().flatten() for p in full.parameters()])
    b = torch.cat([p.detach().float().flatten() for p in resumed.parameters()])
    assert ((a - b).norm() / a.norm()).item() <= 0.02
    assert resumed_result.rows[-1]["loss"] == pytest.approx(full_result.rows[-1]["loss"], rel=0.02)


@pytest.mark.slow
def test_quick_graph_runs_on_cuda(tmp_path: Path) -> None:
    workdir = copy_workflow(tmp_path / "quick")
    (workdir / "cuda.yaml").write_text("device: cuda\n")
    result = snakemake(workdir, "--cores", "2", configfiles=("presets/quick.yaml", "offline.yaml", "cuda.yaml"))
    assert result.returncode == 0, result.stderr[-5000:]
    run = workdir / "results/runs/fashion_mnist/resnet8/ls-0.1/seed0"
    meta = torch.load(run / "model.pt", weights_only=True)["meta"]
    assert (meta["training"]["device"], meta["training"]["precision"], meta["training"]["compiled"]) == (
        "cuda",
        "bf16",
        True,
    )
    outputs = torch.load(run / "outputs.pt", weights_only=True)
    for split in ("train_proba", "test_proba"):
        assert outputs[split].dtype == torch.float64
        assert torch.all((outputs[split].sum(dim=1) - 1).abs() <= 1e-12)
    assert (workdir / "results/e1/fashion_mnist/information.csv").exists()
    assert (workdir / "results/e4/fig7_gradcam.png").exists()
