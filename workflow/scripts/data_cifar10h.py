"""Copy or download the CIFAR-10H counts and check their md5 (config key `cifar10h`)."""

from lsib.fetch import obtain
from lsib.joblog import job_log


def main(smk) -> None:
    with job_log(smk.log[0]) as log:
        src = smk.params.source
        obtain(smk.output[0], config_key="cifar10h", md5=src["md5"], local_path=src["local_path"], url=src["url"])
        log(f"{smk.output[0]} from {src['local_path'] or src['url']}, md5 {src['md5']} verified")


main(snakemake)  # noqa: F821
