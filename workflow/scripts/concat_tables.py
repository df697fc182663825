"""Stack per-run tables (same columns) into one tidy table."""

import pandas as pd

from lsib.atomic import save_csv
from lsib.joblog import job_log


def main(smk) -> None:
    with job_log(smk.log[0]) as log:
        table = pd.concat([pd.read_csv(path) for path in smk.input], ignore_index=True)
        log(f"{len(smk.input)} tables → {len(table)} rows")
        save_csv(table, smk.output[0])


main(snakemake)  # noqa: F821
