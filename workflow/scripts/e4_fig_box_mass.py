"""Beyond the paper (E4): share of Grad-CAM mass inside the original digit's box, per model and class."""

from lsib import plots
from lsib.checks import read_table
from lsib.pipeline.joblog import job_log


def main(smk) -> None:
    with job_log(smk.log[0]) as log:
        summary = read_table(smk.input[0], finite=("mean", "count", "box_area_share"))
        plots.set_style()
        plots.save_figure(plots.plot_box_mass(summary), smk.output)
        log(f"{len(summary)} model × class rows: wrote {', '.join(smk.output)}")


main(snakemake)  # noqa: F821
