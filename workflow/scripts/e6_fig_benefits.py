"""E6: every measure of every E1 run of one data set against its train Î(X;Z), per objective."""

from lsib import plots
from lsib.checks import read_table
from lsib.pipeline.joblog import job_log
from lsib.plots.benefits import plot_benefits


def main(smk) -> None:
    with job_log(smk.log[0]) as log:
        table = read_table(smk.input[0], finite=("coef", "seed", "train_i_xz"))
        plots.set_style()
        plots.save_figure(plot_benefits(table, title=smk.wildcards.dataset), smk.output)
        log(f"{len(table)} runs: wrote {', '.join(smk.output)}")


main(snakemake)  # noqa: F821
