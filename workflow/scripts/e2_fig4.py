"""Fig. 4 (E2): IB-Lagrangian solutions vs the exact LS-optimum curve on CIFAR-10H."""

from lsib import plots
from lsib.checks import read_table
from lsib.pipeline.joblog import job_log


def main(smk) -> None:
    with job_log(smk.log[0]) as log:
        path = read_table(smk.input.path, finite=("eps", "i_xz", "i_zy"))
        ib = read_table(smk.input.ib, finite=("beta", "i_xz", "i_zy"))
        reference = read_table(smk.input.reference, finite=("value",)).set_index("quantity")["value"]
        plots.set_style()
        fig = plots.plot_ib_vs_ls(path, ib, h_y=reference["h_y"], i_xy=reference["i_xy"])
        plots.save_figure(fig, smk.output)
        log(f"{len(ib)} IB solutions, {len(path)} LS points: wrote {', '.join(smk.output)}")


main(snakemake)  # noqa: F821
