# E1 (Fig. 3): exact Î(X;Z), Î(Z;Y) of every trained run on its training set (SPEC §2),
# gathered per data set next to the LS-optimum path (SPEC §4) and every objective's exact optimum
# path (lsib.info.optima: CE, LS, CP, VIB).


rule run_information:
    input:
        outputs=f"{RUN_DIR}/outputs.pt",
        data="results/data/{dataset}.pt",
    output:
        f"{RUN_DIR}/information.csv",
    log:
        run_log("information"),
    conda:
        ENV
    resources:
        **job_resources("light"),
    params:
        code=lsib_code("run_information.py"),
    script:
        "../scripts/run_information.py"


rule e1_ls_path:
    input:
        data="results/data/{dataset}.pt",
    output:
        "results/e1/{dataset}/ls_path.csv",
    log:
        "results/logs/e1/{dataset}/ls_path.log",
    conda:
        ENV
    resources:
        **job_resources("light"),
    params:
        eps=config["e1"]["ls_path_eps"],
        code=lsib_code("e1_ls_path.py"),
    script:
        "../scripts/e1_ls_path.py"


rule e1_optimum_paths:
    input:
        data="results/data/{dataset}.pt",
    output:
        "results/e1/{dataset}/optimum_paths.csv",
    log:
        "results/logs/e1/{dataset}/optimum_paths.log",
    conda:
        ENV
    resources:
        **job_resources("light"),
    params:
        eps=config["e1"]["ls_path_eps"],
        betas=config["e1"].get("optimum_path_betas", []),
        trained=e1_trained_coefficients,
        code=lsib_code("e1_optimum_paths.py"),
    script:
        "../scripts/e1_optimum_paths.py"


rule e1_information:
    input:
        e1_run_information,
    output:
        table_output("results/e1/{dataset}/information.csv", "table_information", "E1 information plane", "{dataset}"),
    log:
        "results/logs/e1/{dataset}/table.log",
    conda:
        ENV
    resources:
        **job_resources("light"),
    params:
        code=lsib_code("concat_tables.py"),
    script:
        "../scripts/concat_tables.py"


rule e1_fig3:
    input:
        runs="results/e1/{dataset}/information.csv",
        path="results/e1/{dataset}/ls_path.csv",
        optima="results/e1/{dataset}/optimum_paths.csv",
    output:
        figure_output(
            "results/e1/{dataset}/fig3_information_plane",
            "fig3",
            "E1 information plane",
            "{dataset}",
        ),
    log:
        "results/logs/e1/{dataset}/fig3.log",
    conda:
        ENV
    resources:
        **job_resources("light"),
    params:
        code=lsib_code("e1_fig3.py"),
    script:
        "../scripts/e1_fig3.py"


rule e1_fig_curves:
    input:
        e1_run_metrics,
    output:
        figure_output(
            "results/e1/{dataset}/fig_learning_curves",
            "fig_curves",
            "E1 information plane",
            "{dataset}",
        ),
    log:
        "results/logs/e1/{dataset}/curves.log",
    conda:
        ENV
    resources:
        **job_resources("light"),
    params:
        runs=lambda wc: curve_runs(e1_dataset_runs(wc)),
        code=lsib_code("fig_learning_curves.py"),
    script:
        "../scripts/fig_learning_curves.py"
