"""Device-dependent training settings: resolution per device, YAML switches, the schema."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
import yaml

from lsib.train.settings import TrainSettings


def test_settings_resolve_per_device_and_parse_yaml_switches() -> None:
    auto = TrainSettings()
    assert auto.resolve("cuda") == TrainSettings("bf16", True, True, 10, True)
    assert auto.resolve("cpu") == TrainSettings("off", False, False, 1, False)
    # YAML 1.1 reads on/off as booleans: `precision: off` arrives as False.
    parsed = TrainSettings.from_dict(
        yaml.safe_load("{precision: off, channels_last: on, compile: off, eval_every: 3, cudnn_benchmark: off}")
    )
    assert parsed == TrainSettings("off", True, False, 3, False) and parsed.resolved
    assert TrainSettings(compile="on", channels_last="FALSE").resolve("cuda") == TrainSettings(
        "bf16", False, True, 10, True
    )
    assert TrainSettings.from_dict(parsed.to_dict()) == parsed
    for bad, key in (
        ({"precision": "fp16"}, "precision"),
        ({"compile": "yes"}, "compile"),
        ({"eval_every": 0}, "eval_every"),
        ({"eval_every": True}, "eval_every"),
        ({"cudnn_benchmark": "fast"}, "cudnn_benchmark"),
        ({"amp": 1}, "amp"),
    ):
        with pytest.raises(ValueError, match=key):
            TrainSettings.from_dict(bad)


def test_cudnn_benchmark_tunes_only_a_job_alone_on_its_gpu() -> None:
    """k = gpu.jobs_per_gpu jobs share a GPU: autotuning under the others' load picks by their timings."""
    auto = TrainSettings()
    assert auto.resolve("cuda", jobs_per_gpu=1).cudnn_benchmark is True
    for k in (2, 4, 8):
        assert auto.resolve("cuda", jobs_per_gpu=k).cudnn_benchmark is False
        assert auto.resolve("cuda:1", jobs_per_gpu=k) == TrainSettings("bf16", True, True, 10, False)
    assert auto.resolve("cpu", jobs_per_gpu=1).cudnn_benchmark is False  # the CPU path is unchanged
    assert TrainSettings(cudnn_benchmark="on").resolve("cuda", jobs_per_gpu=4).cudnn_benchmark is True
    assert TrainSettings(cudnn_benchmark=False).resolve("cuda", jobs_per_gpu=1).cudnn_benchmark is False
    with pytest.raises(ValueError, match="jobs_per_gpu"):
        auto.resolve("cuda", jobs_per_gpu=0)


def test_config_training_section_matches_the_schema_and_the_settings() -> None:
    root = Path(__file__).resolve().parents[2]
    schema = yaml.safe_load((root / "workflow/schemas/config.schema.yaml").read_text())
    config = yaml.safe_load((root / "config.yaml").read_text())
    assert TrainSettings.from_dict(config["training"]) == TrainSettings()
    accepted = [
        "{precision: off, channels_last: on, compile: off, eval_every: 3, cudnn_benchmark: auto}",
        "{precision: bf16, channels_last: 'off', compile: true, eval_every: auto, cudnn_benchmark: on}",
    ]
    for text in accepted:  # whatever the schema accepts, the trainer accepts
        config["training"] = yaml.safe_load(text)
        jsonschema.validate(config, schema)
        TrainSettings.from_dict(config["training"]).resolve("cuda")
    for bad in (
        "{precision: fp16}",
        "{compile: maybe}",
        "{eval_every: 0}",
        "{eval_every: true}",
        "{cudnn_benchmark: fast}",
    ):
        config["training"] = {**yaml.safe_load(accepted[0]), **yaml.safe_load(bad)}
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(config, schema)
        with pytest.raises(ValueError):
            TrainSettings.from_dict(config["training"])
