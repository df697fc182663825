"""Beyond the paper (E4): share of Grad-CAM mass inside the original digit's box, per model and class."""

import pandas as pd

from lsib import plots
from lsib.joblog import job_log


def main(smk) -> None:
    with job_log(smk.log[0]) as log:
        mass = pd.read_csv(smk.input[0])
        plots.set_style()
        plots.save_figure(plots.plot_box_mass(mass), smk.output)
        log(f"{len(mass)} maps: wrote {', '.join(smk.output)}")


main(snakemake)  # noqa: F821
