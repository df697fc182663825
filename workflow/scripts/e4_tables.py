"""E4 tables: test accuracy per model and seed, and the Grad-CAM mass inside the original digit's box."""

import pandas as pd

from lsib.atomic import save_csv
from lsib.checks import load_arrays, read_table
from lsib.measure.saliency import box_mass_summary, model_label
from lsib.pipeline.joblog import job_log


def main(smk) -> None:
    with job_log(smk.log[0]) as log:
        accuracy, mass = [], []
        for gradcam_path, metrics_path in zip(smk.input.gradcam, smk.input.metrics, strict=True):
            g = load_arrays(gradcam_path, finite=("box_area_share",))
            objective, coef, seed = str(g["objective"]), float(g["coef"]), int(g["seed"])
            label = model_label(objective, coef)
            final = read_table(metrics_path, finite=("train_acc", "test_acc")).iloc[-1]
            accuracy.append(
                {
                    "model": label,
                    "objective": objective,
                    "coef": coef,
                    "seed": seed,
                    "train_acc": final["train_acc"],
                    "test_acc": final["test_acc"],
                }
            )
            mass.append(
                pd.DataFrame(
                    {
                        "model": label,
                        "seed": seed,
                        "class": g["mass_label"],
                        "image": g["mass_index"],
                        "predicted": g["mass_predicted"],
                        "mass": g["mass"],
                        "box_area_share": g["box_area_share"],
                    }
                )
            )
        accuracy, mass = pd.DataFrame(accuracy), pd.concat(mass, ignore_index=True)
        summary = box_mass_summary(mass)
        for row in summary[summary["class"] == "all"].itertuples():
            log(f"{row.model}: box mass {row.mean:.3f} ± {row.std:.3f} over {row.count} maps")
        save_csv(accuracy, smk.output.accuracy)
        save_csv(mass, smk.output.mass, nullable=["mass"])  # NaN: a map with no mass has no share
        save_csv(summary, smk.output.summary, nullable=["std"])  # NaN: the sd of a single map


main(snakemake)  # noqa: F821
