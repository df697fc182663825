# E3 (Fig. 6): how much a model trained on the occluded images still knows about the
# nuisance digit — probes fitted on its penultimate activations, next to the same probes on
# raw pixels and on the untrained network (references that bracket the trained models).


rule run_features:
    input:
        model=f"{RUN_DIR}/model.pt",
        data="results/data/{dataset}.pt",
    output:
        f"{RUN_DIR}/features.pt",
    log:
        run_log("features"),
    wildcard_constraints:
        dataset="occluded",
    conda:
        ENV
    threads: RES["inference"]["threads"]
    resources:
        **job_resources("inference", gpu=True),
    params:
        device=config["device"],
        code=lsib_code("run_features.py"),
    script:
        "../scripts/run_features.py"


rule run_probes:
    input:
        features=f"{RUN_DIR}/features.pt",
        metrics=f"{RUN_DIR}/metrics.csv",
    output:
        f"{RUN_DIR}/probes.csv",
    log:
        run_log("probes"),
    wildcard_constraints:
        dataset="occluded",
    conda:
        ENV
    threads: RES["solver"]["threads"]
    resources:
        **job_resources("solver"),
    params:
        probes=config["e3"]["probes"],
        code=lsib_code("run_probes.py"),
    script:
        "../scripts/run_probes.py"


rule e3_reference_probes:
    input:
        data="results/data/occluded.pt",
    output:
        "results/e3/reference_probes.csv",
    log:
        "results/logs/e3/reference_probes.log",
    conda:
        ENV
    threads: RES["inference"]["threads"]
    resources:
        **job_resources("inference"),  # CPU: untrained forward passes + probes on raw pixels (CIFAR: 50k × 3072)
    params:
        probes=config["e3"]["probes"],
        model=config["e3"]["model"],
        seeds=config["e3"]["seeds"],
        code=lsib_code("e3_reference_probes.py"),
    script:
        "../scripts/e3_reference_probes.py"


rule e3_probes:
    input:
        e3_run_probes,
    output:
        table_output("results/e3/probes.csv", "table_probes", "E3 nuisance probes"),
    log:
        "results/logs/e3/table.log",
    conda:
        ENV
    resources:
        **job_resources("light"),
    params:
        code=lsib_code("concat_tables.py"),
    script:
        "../scripts/concat_tables.py"


rule e3_fig6:
    input:
        probes="results/e3/probes.csv",
        references="results/e3/reference_probes.csv",
    output:
        figure_output("results/e3/fig6_probes", "fig6", "E3 nuisance probes"),
    log:
        "results/logs/e3/fig6.log",
    conda:
        ENV
    resources:
        **job_resources("light"),
    params:
        base=config["datasets"][config["e3"]["base"]]["source"],
        digits=config["datasets"][config["e3"]["digits"]]["source"],
        code=lsib_code("e3_fig6.py"),
    script:
        "../scripts/e3_fig6.py"


rule e3_fig_curves:
    input:
        run_files(plan.e3_runs(config), "metrics.csv"),
    output:
        figure_output(
            "results/e3/fig_learning_curves",
            "fig_curves",
            "E3 nuisance probes",
        ),
    log:
        "results/logs/e3/curves.log",
    conda:
        ENV
    resources:
        **job_resources("light"),
    params:
        runs=curve_runs(plan.e3_runs(config)),
        code=lsib_code("fig_learning_curves.py"),
    script:
        "../scripts/fig_learning_curves.py"
