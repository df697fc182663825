"""Beyond the paper (E4): share of Grad-CAM mass inside the original digit's box, per model and class."""

from lsib import plots
from lsib.checks import read_table
from lsib.joblog import job_log


def main(smk) -> None:
    with job_log(smk.log[0]) as log:
        mass = read_table(smk.input[0], finite=("seed", "class", "box_area_share"))
        plots.set_style()
        plots.save_figure(plots.plot_box_mass(mass), smk.output)
        log(f"{len(mass)} maps: wrote {', '.join(smk.output)}")


main(snakemake)  # noqa: F821
