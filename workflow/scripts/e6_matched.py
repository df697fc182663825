"""E6: objectives compared at matched train Î(X;Z), with confidence intervals and a paired test over seeds."""

from lsib.atomic import save_csv
from lsib.checks import read_table
from lsib.measure.matched import matched_comparison
from lsib.pipeline.joblog import job_log


def main(smk) -> None:
    with job_log(smk.log[0]) as log:
        table = matched_comparison(read_table(smk.input[0]))
        log(f"{len(table)} matched comparisons")
        save_csv(table, smk.output[0], nullable=[c for c in table.columns if table[c].isna().any()])


main(snakemake)  # noqa: F821
