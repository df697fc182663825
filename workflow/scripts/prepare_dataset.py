"""Build one configured data set as a compact tensor file (uint8 images, int64 labels)."""

from pathlib import Path

from lsib import datasets
from lsib.joblog import job_log


def main(smk) -> None:
    with job_log(smk.log[0]) as log:
        spec = dict(smk.params.spec)
        source = spec.pop("source")
        data = datasets.prepare(source, Path(smk.params.raw_dir), Path(smk.output[0]), **spec,
                                config_key=f"datasets.{smk.wildcards.dataset}")
        log(f"{source} → {smk.output[0]}: train {tuple(data['train_x'].shape)}, test {tuple(data['test_x'].shape)}")


main(snakemake)  # noqa: F821
