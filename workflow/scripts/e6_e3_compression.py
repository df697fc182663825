"""E6: every E3 run's penultimate compression beside its nuisance-probe accuracies (one row per run)."""

import pandas as pd

from lsib.atomic import save_csv
from lsib.checks import read_table
from lsib.measure.compression import beside_probes
from lsib.pipeline.joblog import job_log


def main(smk) -> None:
    with job_log(smk.log[0]) as log:
        compression = pd.concat([read_table(path) for path in smk.input.compression], ignore_index=True)
        table = beside_probes(compression, read_table(smk.input.probes))
        log(f"{len(table)} E3 runs, columns {list(table.columns)}")
        save_csv(table, smk.output[0])


main(snakemake)  # noqa: F821
