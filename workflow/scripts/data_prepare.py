"""Convert one configured data set from its raw files into one compact tensor file (uint8 images, int64 labels)."""

from pathlib import Path

from lsib.data import datasets
from lsib.names import DOWNLOADED_SOURCES
from lsib.pipeline.joblog import job_log


def main(smk) -> None:
    with job_log(smk.log[0]) as log:
        spec = dict(smk.params.spec)
        source = spec.pop("source")
        spec.pop("local_dir", None)  # staged by data_download
        spec.pop("download", None)  # the raw files are data_download's output; no network here
        raw_dir = Path(smk.input.raw[0]) if source in DOWNLOADED_SOURCES else Path(".")
        data = datasets.prepare(
            source, raw_dir, Path(smk.output[0]), download=False, **spec, config_key=f"datasets.{smk.wildcards.dataset}"
        )
        log(f"{source} → {smk.output[0]}: train {tuple(data['train_x'].shape)}, test {tuple(data['test_x'].shape)}")


main(snakemake)  # noqa: F821
