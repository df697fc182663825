"""Fig. 1 (F1): theory schematic — IB curve, infeasible region, LS path, CE point (SPEC §4)."""

import math

import numpy as np
import pandas as pd

from lsib import plots
from lsib.info.theory import ls_closed_form
from lsib.pipeline.joblog import job_log


def main(smk) -> None:
    with job_log(smk.log[0]) as log:
        k = smk.params.num_classes
        eps = np.linspace(0, 1, 41)
        curve = ls_closed_form(eps, k)
        plots.set_style()
        fig = plots.plot_theory_schematic(math.log(k), k, pd.DataFrame({"eps": eps, "i_xz": curve, "i_zy": curve}))
        plots.save_figure(fig, smk.output)
        log(f"K={k}: wrote {', '.join(smk.output)}")


main(snakemake)  # noqa: F821
