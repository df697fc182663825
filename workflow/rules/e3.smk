# E3 (Fig. 6): how much a model trained on the occluded images still knows about the
# nuisance digit — probes fitted on its penultimate activations, next to the same probes on
# raw pixels and on the untrained network (references that bracket the trained models).


rule run_features:
    conda:
        ENV
    input:
        model=f"{RUN_DIR}/model.pt",
        data="results/data/{dataset}.pt",
    output:
        f"{RUN_DIR}/features.pt",
    params:
        device=config["device"],
        code=lsib_code("run_features.py"),
    wildcard_constraints:
        dataset="occluded",
    log:
        run_log("features"),
    threads: RES["inference"]["threads"]
    resources:
        **job_resources("inference", gpu=True),
    script:
        "../scripts/run_features.py"


rule run_probes:
    conda:
        ENV
    input:
        features=f"{RUN_DIR}/features.pt",
        metrics=f"{RUN_DIR}/metrics.csv",
    output:
        f"{RUN_DIR}/probes.csv",
    params:
        probes=config["e3"]["probes"],
        code=lsib_code("run_probes.py"),
    wildcard_constraints:
        dataset="occluded",
    log:
        run_log("probes"),
    threads: RES["solver"]["threads"]
    resources:
        **job_resources("solver"),
    script:
        "../scripts/run_probes.py"


rule e3_reference_probes:
    conda:
        ENV
    input:
        data="results/data/occluded.pt",
    output:
        "results/e3/reference_probes.csv",
    params:
        probes=config["e3"]["probes"],
        model=config["e3"]["model"],
        seeds=config["e3"]["seeds"],
        code=lsib_code("e3_reference_probes.py"),
    log:
        "results/logs/e3/reference_probes.log",
    threads: RES["inference"]["threads"]
    resources:
        **job_resources("inference"),  # CPU: untrained forward passes + probes on raw pixels (CIFAR: 50k × 3072)
    script:
        "../scripts/e3_reference_probes.py"


rule e3_probes:
    conda:
        ENV
    input:
        e3_run_probes,
    output:
        "results/e3/probes.csv",
    params:
        code=lsib_code("concat_tables.py"),
    log:
        "results/logs/e3/table.log",
    resources:
        **job_resources("light"),
    script:
        "../scripts/concat_tables.py"


rule e3_fig6:
    conda:
        ENV
    input:
        probes="results/e3/probes.csv",
        references="results/e3/reference_probes.csv",
    output:
        figure_output("results/e3/fig6_probes", "fig6", "E3 nuisance probes"),
    params:
        base=config["datasets"][config["e3"]["base"]]["source"],
        digits=config["datasets"][config["e3"]["digits"]]["source"],
        code=lsib_code("e3_fig6.py"),
    log:
        "results/logs/e3/fig6.log",
    resources:
        **job_resources("light"),
    script:
        "../scripts/e3_fig6.py"
