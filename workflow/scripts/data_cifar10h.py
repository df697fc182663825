"""Copy or download the CIFAR-10H counts; check their md5 and that they form an (M, 10) table (config `cifar10h`)."""

from lsib.checks import load_counts
from lsib.data.fetch import obtain
from lsib.pipeline.joblog import job_log


def main(smk) -> None:
    with job_log(smk.log[0]) as log:
        src = smk.params.source
        obtain(
            smk.output[0],
            config_key="cifar10h",
            md5=src["md5"],
            local_path=src["local_path"],
            url=src["url"],
            check=lambda path, origin: load_counts(path, source=origin),
        )
        counts = load_counts(smk.output[0])
        log(
            f"{smk.output[0]} from {src['local_path'] or src['url']}, md5 {src['md5']} verified: "
            f"{counts.shape[0]} images × {counts.shape[1]} classes, {int(counts.sum())} annotations"
        )


main(snakemake)  # noqa: F821
