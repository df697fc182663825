"""E4: Grad-CAM maps (last residual stage, target = predicted class) of one model on Cluttered MNIST test images."""

import numpy as np
import torch

from lsib.atomic import save_npz
from lsib.checks import require_finite
from lsib.measure.inference import open_for_inference
from lsib.measure.saliency import box_mass, choose_images, gradcam_maps
from lsib.models.forward import normalize
from lsib.pipeline.joblog import job_log


def main(smk) -> None:
    with job_log(smk.log[0]) as log:
        p, wc = smk.params, smk.wildcards
        model, _, data, device = open_for_inference(smk.input.model, smk.input.data, p.device, smk.threads)
        images, labels, boxes = data["test_x"], data["test_y"], data["test_box"]
        mean, std = torch.tensor(data["mean"]), torch.tensor(data["std"])
        out = {"objective": np.array(wc.objective), "coef": np.array(float(wc.coef)), "seed": np.array(int(wc.seed))}
        for offset, (part, count) in enumerate((("examples", p.n_examples), ("grid", p.n_grid), ("mass", p.n_mass))):
            index = choose_images(len(labels), count, p.image_seed, offset)
            x = normalize(images[index].float().div(255), mean, std)
            result = gradcam_maps(model, x.to(device), model.last_stage)
            require_finite(result.maps, f"{smk.input.model} (Grad-CAM maps; did the run diverge?)")
            out[f"{part}_index"], out[f"{part}_predicted"] = index, result.predicted
            if part == "mass":
                out["mass"] = box_mass(result.maps, boxes[index])
                out["mass_label"] = labels[index].numpy()
                box = boxes[index].numpy()
                out["box_area_share"] = box[:, 2] * box[:, 3] / float(images.shape[-2] * images.shape[-1])
                log(f"mass: {len(index)} images, mean share in the original digit's box {np.nanmean(out['mass']):.3f}")
            else:
                out[f"{part}_maps"] = result.maps
                log(f"{part}: {len(index)} maps")
        save_npz(smk.output[0], **out)


main(snakemake)  # noqa: F821
