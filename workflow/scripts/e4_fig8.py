"""Fig. 8 (E4): Grad-CAM maps of random test images for every model and seed."""

from lsib import plots
from lsib.checks import load_arrays
from lsib.data import datasets
from lsib.measure.saliency import model_label
from lsib.pipeline.joblog import job_log


def main(smk) -> None:
    with job_log(smk.log[0]) as log:
        data = datasets.load(smk.input.data)
        maps, index = {}, None
        for path in smk.input.gradcam:  # ordered by model, then seed
            g = load_arrays(path, finite=("grid_maps",))
            maps.setdefault(model_label(str(g["objective"]), float(g["coef"])), []).append(g["grid_maps"])
            index = g["grid_index"]
        plots.set_style()
        fig = plots.plot_gradcam_grid(data["test_x"][index].numpy(), maps)
        plots.save_figure(fig, smk.output)
        log(f"{len(index)} images × {sum(map(len, maps.values()))} model-seeds: wrote {', '.join(smk.output)}")


main(snakemake)  # noqa: F821
