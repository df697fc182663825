"""E6: every measure of one E1 run (test-set information and gaps, calibration, FGSM/PGD, compression)
and its penultimate-layer template projection."""

import pandas as pd

from lsib.atomic import save_csv, save_npz
from lsib.checks import load_arrays
from lsib.measure.benefits import run_benefits
from lsib.measure.inference import open_for_inference
from lsib.pipeline.joblog import job_log


def main(smk) -> None:
    with job_log(smk.log[0]) as log:
        wc = smk.wildcards
        model, _, data, device = open_for_inference(smk.input.model, smk.input.data, smk.params.device, smk.threads)
        outputs = load_arrays(smk.input.outputs, finite=("train_proba", "test_proba"))
        measures, projection = run_benefits(model, data, outputs, device, **smk.params.settings)
        row = {"dataset": wc.dataset, "model": wc.model, "objective": wc.objective, "coef": float(wc.coef)}
        row |= {"seed": int(wc.seed)} | measures
        log(", ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()))
        save_npz(smk.output.projection, **projection)
        save_csv(pd.DataFrame([row]), smk.output.benefits)


main(snakemake)  # noqa: F821
