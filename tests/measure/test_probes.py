"""Probes recover planted signals and stay at chance without one."""

import re

import numpy as np

from lsib.measure.probes import PROBES, chance_level, linear_probe, mlp_probe, pixel_features, run_probes


def gaussian_features(n: int, d: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, d)) * np.linspace(0.5, 3.0, d)  # uneven scales


def test_linear_probe_recovers_planted_linear_signal():
    projection = np.random.default_rng(0).normal(size=(32, 10))
    train_f, test_f = gaussian_features(3000, 32, 1), gaussian_features(2000, 32, 2)
    train_y, test_y = (train_f @ projection).argmax(1), (test_f @ projection).argmax(1)
    assert linear_probe(train_f, train_y, test_f, test_y) > 0.9


def test_probes_at_chance_on_shuffled_labels():
    rng = np.random.default_rng(3)
    train_f, test_f = gaussian_features(2000, 16, 4), gaussian_features(2000, 16, 5)
    train_y, test_y = rng.integers(0, 10, 2000), rng.integers(0, 10, 2000)
    assert abs(chance_level(train_y, test_y) - 0.1) < 0.03
    assert abs(linear_probe(train_f, train_y, test_f, test_y) - 0.1) < 0.05
    assert abs(mlp_probe(train_f, train_y, test_f, test_y, seed=0) - 0.1) < 0.05


def test_mlp_probe_recovers_xor_signal_that_linear_probe_cannot():
    train_f, test_f = gaussian_features(3000, 6, 6), gaussian_features(2000, 6, 7)
    xor = lambda f: ((f[:, 0] > 0) ^ (f[:, 1] > 0)).astype(np.int64)  # noqa: E731
    assert mlp_probe(train_f, xor(train_f), test_f, xor(test_f), seed=0) > 0.85
    assert linear_probe(train_f, xor(train_f), test_f, xor(test_f)) < 0.6


def test_mlp_probe_is_seeded():
    train_f, test_f = gaussian_features(500, 4, 8), gaussian_features(200, 4, 9)
    train_y, test_y = (train_f[:, 0] * train_f[:, 1] > 0).astype(int), (test_f[:, 0] * test_f[:, 1] > 0).astype(int)
    assert mlp_probe(train_f, train_y, test_f, test_y, seed=4) == mlp_probe(train_f, train_y, test_f, test_y, seed=4)


def test_chance_level_is_majority_class_accuracy():
    assert chance_level(np.array([0, 1, 1, 2]), np.array([1, 1, 0, 2, 2])) == 0.4


def test_run_probes_fits_each_probe_with_its_own_settings():
    train_f, test_f = gaussian_features(400, 6, 0), gaussian_features(200, 6, 1)
    train_y, test_y = (train_f[:, 0] > 0).astype(int), (test_f[:, 0] > 0).astype(int)
    settings = {"linear": {"C": 1e-7}, "mlp": {"hidden": 8}}  # a linear probe this regularised learns nothing
    got = run_probes(train_f, train_y, test_f, test_y, seed=3, settings=settings)
    assert tuple(got) == PROBES
    assert linear_probe(train_f, train_y, test_f, test_y) > 0.95
    assert got["linear"] == linear_probe(train_f, train_y, test_f, test_y, C=1e-7) < 0.7
    assert got["mlp"] == mlp_probe(train_f, train_y, test_f, test_y, seed=3, hidden=8)


def test_pixel_features_flatten_and_scale_to_unit_interval():
    images = np.arange(2 * 3 * 4 * 5, dtype=np.uint8).reshape(2, 3, 4, 5)
    images[1, 2, 3, 4] = 255
    f = pixel_features(images)
    assert f.shape == (2, 60) and f.dtype == np.float32
    np.testing.assert_allclose(f[0], np.arange(60) / 255.0, rtol=1e-6)
    assert f[1, -1] == 1.0


def test_run_probes_logs_each_fitted_probe_and_the_mlp_epochs_without_changing_results():
    train_f, test_f = gaussian_features(400, 6, 0), gaussian_features(200, 6, 1)
    train_y, test_y = (train_f[:, 0] > 0).astype(int), (test_f[:, 0] > 0).astype(int)
    mlp = {"hidden": 8, "max_epochs": 30, "patience": 3}
    lines: list[str] = []
    got = run_probes(train_f, train_y, test_f, test_y, seed=3, settings={"mlp": mlp}, log=lines.append)
    assert got == run_probes(train_f, train_y, test_f, test_y, seed=3, settings={"mlp": mlp})  # logging changes nothing
    fitted = r"probe: test accuracy {:.4f}, fitted in [0-9.]+s"
    epoch = r"mlp probe: epoch {}, loss [0-9.]+, validation accuracy [0-9.]+"
    stop = r"mlp probe: Validation score did not improve .* Stopping\."
    # epoch 1, then none within PROGRESS_SECONDS (30 s) of it: the fit takes a fraction of a second
    expected = ["linear " + fitted.format(got["linear"]), epoch.format(1), stop, "mlp " + fitted.format(got["mlp"])]
    assert len(lines) == len(expected) and all(map(re.fullmatch, expected, lines)), lines

    every: list[str] = []
    acc = mlp_probe(train_f, train_y, test_f, test_y, seed=3, **mlp, log=every.append, every=0)
    assert acc == got["mlp"] and 3 < len(every) - 1 < 30 and re.fullmatch(stop, every[-1])
    assert all(re.fullmatch(epoch.format(n), line) for n, line in enumerate(every[:-1], start=1)), every
