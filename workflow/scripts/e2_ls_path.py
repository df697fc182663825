"""CIFAR-10H: the exact LS-optimum path and the reference quantities of SPEC §2."""

import pandas as pd
import torch

from lsib.atomic import save_csv
from lsib.checks import load_counts
from lsib.info.information import from_annotations, information_plane
from lsib.info.optima import ls_optimum_path
from lsib.pipeline.joblog import job_log
from lsib.pipeline.plan import grid


def main(smk) -> None:
    with job_log(smk.log[0]) as log:
        data = from_annotations(load_counts(smk.input.counts))
        argmax = torch.nn.functional.one_hot(data.pyx.argmax(1), data.num_classes).double()
        plane = information_plane(argmax, data)
        reference = {
            "h_y": float(plane["h_y"]),
            "i_xy": float(plane["i_xy"]),
            "argmax_i_xz": float(plane["i_xz"]),
            "argmax_i_zy": float(plane["i_zy"]),
        }
        log(f"{data.num_inputs} images; " + ", ".join(f"{k}={v:.5f}" for k, v in reference.items()))
        save_csv(pd.DataFrame(ls_optimum_path(data, grid(smk.params.eps))), smk.output.path)
        save_csv(pd.DataFrame({"quantity": list(reference), "value": list(reference.values())}), smk.output.reference)


main(snakemake)  # noqa: F821
