"""Render one result table as an HTML page for `snakemake --report` (the CSV stays the result)."""

from lsib.atomic import write_bytes
from lsib.checks import read_table
from lsib.pipeline.joblog import job_log
from lsib.pipeline.report import table_html


def main(smk) -> None:
    with job_log(smk.log[0]) as log:
        table = read_table(smk.input[0])
        write_bytes(smk.output[0], table_html(table, smk.params.title).encode())
        log(f"{smk.input[0]}: {len(table)} rows, {len(table.columns)} columns")


main(snakemake)  # noqa: F821
