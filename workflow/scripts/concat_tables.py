"""Stack per-run tables (same columns, checked) into one tidy table."""

import pandas as pd

from lsib.atomic import save_csv
from lsib.checks import InputError, read_table
from lsib.pipeline.joblog import job_log


def main(smk) -> None:
    with job_log(smk.log[0]) as log:
        tables = [read_table(path) for path in smk.input]
        for path, part in zip(smk.input, tables, strict=True):
            if list(part.columns) != list(tables[0].columns):
                raise InputError(
                    f"{path}: columns {list(part.columns)} differ from {smk.input[0]}'s {list(tables[0].columns)}"
                )
        table = pd.concat(tables, ignore_index=True)
        log(f"{len(smk.input)} tables → {len(table)} rows")
        inherited = [column for column in table.columns if any(part[column].isna().any() for part in tables)]
        save_csv(table, smk.output[0], nullable=inherited)  # stacking adds no empty cell; the parts' own stay


main(snakemake)  # noqa: F821
