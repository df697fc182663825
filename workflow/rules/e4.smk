# E4 (Figs. 7–8): Grad-CAM of CE and LS models on Cluttered MNIST, and the share of saliency
# that falls on the original digit (a number where the paper shows pictures).


rule run_gradcam:
    input:
        model=f"{RUN_DIR}/model.pt",
        data="results/data/{dataset}.pt",
    output:
        f"{RUN_DIR}/gradcam.npz",
    log:
        run_log("gradcam"),
    wildcard_constraints:
        dataset="cluttered",
    conda:
        ENV
    threads: RES["inference"]["threads"]
    resources:
        **job_resources("inference", gpu=True),
    params:
        n_examples=config["e4"]["n_examples"],
        n_grid=config["e4"]["n_grid"],
        n_mass=config["e4"]["n_mass"],
        image_seed=config["e4"]["image_seed"],
        device=config["device"],
        code=lsib_code("run_gradcam.py"),
    script:
        "../scripts/run_gradcam.py"


rule e4_tables:
    input:
        gradcam=e4_run_gradcam,
        metrics=e4_run_metrics,
    output:
        accuracy=table_output("results/e4/accuracy.csv", "table_accuracy", "E4 Grad-CAM"),
        mass="results/e4/box_mass.csv",
        summary=table_output("results/e4/box_mass_summary.csv", "table_box_mass", "E4 Grad-CAM"),
    log:
        "results/logs/e4/tables.log",
    conda:
        ENV
    resources:
        **job_resources("light"),
    params:
        code=lsib_code("e4_tables.py"),
    script:
        "../scripts/e4_tables.py"


rule e4_fig7:
    input:
        data="results/data/cluttered.pt",
        gradcam=e4_first_seed_gradcam,
    output:
        figure_output("results/e4/fig7_gradcam", "fig7", "E4 Grad-CAM"),
    log:
        "results/logs/e4/fig7.log",
    conda:
        ENV
    resources:
        **job_resources("light"),
    params:
        code=lsib_code("e4_fig7.py"),
    script:
        "../scripts/e4_fig7.py"


rule e4_fig8:
    input:
        data="results/data/cluttered.pt",
        gradcam=e4_run_gradcam,
    output:
        figure_output("results/e4/fig8_gradcam_grid", "fig8", "E4 Grad-CAM"),
    log:
        "results/logs/e4/fig8.log",
    conda:
        ENV
    resources:
        **job_resources("light"),
    params:
        code=lsib_code("e4_fig8.py"),
    script:
        "../scripts/e4_fig8.py"


rule e4_fig_box_mass:
    input:
        "results/e4/box_mass_summary.csv",
    output:
        figure_output("results/e4/fig_box_mass", "box_mass", "E4 Grad-CAM"),
    log:
        "results/logs/e4/box_mass.log",
    conda:
        ENV
    resources:
        **job_resources("light"),
    params:
        code=lsib_code("e4_fig_box_mass.py"),
    script:
        "../scripts/e4_fig_box_mass.py"


rule e4_fig_curves:
    input:
        e4_run_metrics,
    output:
        figure_output(
            "results/e4/fig_learning_curves",
            "fig_curves",
            "E4 Grad-CAM",
        ),
    log:
        "results/logs/e4/curves.log",
    conda:
        ENV
    resources:
        **job_resources("light"),
    params:
        runs=curve_runs(plan.e4_runs(config)),
        code=lsib_code("fig_learning_curves.py"),
    script:
        "../scripts/fig_learning_curves.py"
