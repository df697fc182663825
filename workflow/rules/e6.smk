# E6 (beyond the paper): what compression buys. Every E1 run, from its model and dumps (no new
# training): test-set information and train − test gaps, calibration, FGSM/PGD accuracy and the
# penultimate layer's compression (lsib.measure.benefits), tabulated per data set, compared at
# matched Î(X;Z) (lsib.measure.matched) and drawn against train Î(X;Z); Müller et al.'s template
# projection of a CE and an LS run; the compression of every E3 run beside its nuisance probes.


rule run_benefits:
    input:
        model=f"{RUN_DIR}/model.pt",
        outputs=f"{RUN_DIR}/outputs.pt",
        data="results/data/{dataset}.pt",
    output:
        benefits=f"{RUN_DIR}/benefits.csv",
        projection=f"{RUN_DIR}/projection.npz",
    log:
        run_log("benefits"),
    benchmark:
        "results/benchmarks/benefits/{dataset}/{model}/{objective}-{coef}/seed{seed}.tsv"
    conda:
        ENV
    threads: RES["inference"]["threads"]
    resources:
        **job_resources("inference", gpu=True),
    params:
        settings={k: config["e6"][k] for k in ("n_attack", "attack_eps", "pgd_steps", "attack_seed", "probe")},
        device=config["device"],
        code=lsib_code("run_benefits.py"),
    script:
        "../scripts/run_benefits.py"


rule run_compression:
    input:
        features=f"{RUN_DIR}/features.pt",
        data="results/data/{dataset}.pt",
    output:
        f"{RUN_DIR}/compression.csv",
    log:
        run_log("compression"),
    wildcard_constraints:
        dataset="occluded",
    conda:
        ENV
    threads: RES["solver"]["threads"]
    resources:
        **job_resources("solver"),
    params:
        probe=config["e6"]["probe"],
        code=lsib_code("run_compression.py"),
    script:
        "../scripts/run_compression.py"


rule e6_benefits:
    input:
        e6_run_benefits,
    output:
        table_output("results/e6/{dataset}/benefits.csv", "table_e6_benefits", "E6 what compression buys", "{dataset}"),
    log:
        "results/logs/e6/{dataset}/benefits.log",
    conda:
        ENV
    resources:
        **job_resources("light"),
    params:
        code=lsib_code("concat_tables.py"),
    script:
        "../scripts/concat_tables.py"


rule e6_matched:
    input:
        "results/e6/{dataset}/benefits.csv",
    output:
        table_output("results/e6/{dataset}/matched.csv", "table_e6_matched", "E6 what compression buys", "{dataset}"),
    log:
        "results/logs/e6/{dataset}/matched.log",
    conda:
        ENV
    resources:
        **job_resources("light"),
    params:
        code=lsib_code("e6_matched.py"),
    script:
        "../scripts/e6_matched.py"


rule e6_e3_compression:
    input:
        compression=run_files(plan.e3_runs(config), "compression.csv"),
        probes="results/e3/probes.csv",
    output:
        table_output("results/e6/e3_compression.csv", "table_e6_e3_compression", "E6 what compression buys"),
    log:
        "results/logs/e6/e3_compression.log",
    conda:
        ENV
    resources:
        **job_resources("light"),
    params:
        code=lsib_code("e6_e3_compression.py"),
    script:
        "../scripts/e6_e3_compression.py"


rule e6_fig_benefits:
    input:
        "results/e6/{dataset}/benefits.csv",
    output:
        figure_output(
            "results/e6/{dataset}/fig_benefits",
            "fig_e6_benefits",
            "E6 what compression buys",
            "{dataset}",
        ),
    log:
        "results/logs/e6/{dataset}/fig_benefits.log",
    conda:
        ENV
    resources:
        **job_resources("light"),
    params:
        code=lsib_code("e6_fig_benefits.py"),
    script:
        "../scripts/e6_fig_benefits.py"


rule e6_fig_projection:
    input:
        unpack(e6_projection_inputs),
    output:
        figure_output(
            "results/e6/{dataset}/fig_projection",
            "fig_e6_projection",
            "E6 what compression buys",
            "{dataset}",
        ),
    log:
        "results/logs/e6/{dataset}/fig_projection.log",
    conda:
        ENV
    resources:
        **job_resources("light"),
    params:
        labels=e6_projection_labels,
        code=lsib_code("e6_fig_projection.py"),
    script:
        "../scripts/e6_fig_projection.py"
