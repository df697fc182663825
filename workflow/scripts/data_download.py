"""Download (or stage from a local copy, or check) the raw files of one source into its folder."""

from pathlib import Path

from lsib.data import sources
from lsib.pipeline.joblog import job_log


def main(smk) -> None:
    with job_log(smk.log[0]) as log:
        source, options = smk.wildcards.source, smk.params.options
        sources.download(source, Path(smk.output[0]), **options)
        where = options["local_dir"] or ("torchvision's servers" if options["download"] else "files already in place")
        log(f"{source}: raw files in {smk.output[0]} from {where}")


main(snakemake)  # noqa: F821
