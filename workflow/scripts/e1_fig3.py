"""Fig. 3 (E1): every trained run of one data set on the exact information plane."""

from lsib import plots
from lsib.checks import read_table
from lsib.pipeline.joblog import job_log


def main(smk) -> None:
    with job_log(smk.log[0]) as log:
        runs = read_table(smk.input.runs, finite=("coef", "i_xz", "i_zy", "h_y"))
        path = read_table(smk.input.path, finite=("eps", "i_xz", "i_zy"))
        optima = read_table(smk.input.optima, finite=("coef", "i_xz", "i_zy"))
        plots.set_style()
        fig = plots.plot_information_plane(
            runs, path, float(runs["h_y"].iloc[0]), title=smk.wildcards.dataset, optima=optima
        )
        plots.save_figure(fig, smk.output)
        log(f"{len(runs)} runs: wrote {', '.join(smk.output)}")


main(snakemake)  # noqa: F821
