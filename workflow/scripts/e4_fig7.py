"""Fig. 7 (E4): a few random test images with the CE and LS models' Grad-CAM maps (first seed)."""

from lsib import plots
from lsib.checks import load_arrays
from lsib.data import datasets
from lsib.measure.saliency import model_label
from lsib.pipeline.joblog import job_log


def main(smk) -> None:
    with job_log(smk.log[0]) as log:
        data = datasets.load(smk.input.data)
        maps, index = {}, None
        for path in smk.input.gradcam:
            g = load_arrays(path, finite=("examples_maps",))
            maps[model_label(str(g["objective"]), float(g["coef"]))] = g["examples_maps"]
            index = g["examples_index"]
        plots.set_style()
        fig = plots.plot_gradcam_examples(data["test_x"][index].numpy(), maps, boxes=data["test_box"][index].numpy())
        plots.save_figure(fig, smk.output)
        log(f"images {index.tolist()}, models {list(maps)}: wrote {', '.join(smk.output)}")


main(snakemake)  # noqa: F821
