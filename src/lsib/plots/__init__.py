"""The paper's figures, drawn from numbers the pipeline already computed (SPEC §4–§5).

Every ``plot_*`` function takes tidy DataFrames or arrays and returns a
:class:`matplotlib.figure.Figure`; none computes anything heavy and none touches the disk —
:func:`save_figure` does that, atomically. Information is in nats throughout (SPEC §2).
Every style constant lives in :mod:`lsib.plots.style`.

| function | module | paper figure | SPEC |
|---|---|---|---|
| :func:`plot_learning_curves` | ``curves`` | — (every run's metrics.csv, to check a sweep) | §6 |
| :func:`plot_theory_schematic` | ``plane`` | Fig. 1 | §4, §5 F1 |
| :func:`plot_information_plane` | ``plane`` | Fig. 3 | §4, §5 E1 |
| :func:`plot_ib_vs_ls` | ``frontier`` | Fig. 4 | §3 IB Lagrangian, §4, §5 E2 |
| :func:`plot_objective_paths` | ``frontier`` | — (E5, beyond the paper) | §3, §4 |
| :func:`plot_probe_accuracy` | ``probes`` | Fig. 6 | §5 E3 |
| :func:`plot_gradcam_examples` | ``saliency`` | Fig. 7 | §5 E4 |
| :func:`plot_gradcam_grid` | ``saliency`` | Fig. 8 | §5 E4 |
| :func:`plot_box_mass` | ``saliency`` | — (the box-mass numbers SPEC §5 E4 asks for) | §5 E4 |
| :func:`plot_benefits` | ``benefits`` | — (E6, beyond the paper) | §2 |
| :func:`plot_penultimate_projection` | ``benefits`` | — (E6; Müller et al. 2019, Fig. 1) | — |
"""

from lsib.plots.benefits import plot_benefits, plot_penultimate_projection
from lsib.plots.curves import plot_learning_curves
from lsib.plots.frontier import plot_ib_vs_ls, plot_objective_paths
from lsib.plots.plane import plot_information_plane, plot_theory_schematic
from lsib.plots.probes import plot_probe_accuracy
from lsib.plots.saliency import plot_box_mass, plot_gradcam_examples, plot_gradcam_grid
from lsib.plots.style import (
    COLUMN_WIDTH,
    PAGE_WIDTH,
    SOURCE_TITLES,
    save_figure,
    set_style,
)

__all__ = [
    "COLUMN_WIDTH",
    "PAGE_WIDTH",
    "SOURCE_TITLES",
    "plot_benefits",
    "plot_box_mass",
    "plot_gradcam_examples",
    "plot_gradcam_grid",
    "plot_ib_vs_ls",
    "plot_information_plane",
    "plot_learning_curves",
    "plot_objective_paths",
    "plot_penultimate_projection",
    "plot_probe_accuracy",
    "plot_theory_schematic",
    "save_figure",
    "set_style",
]
