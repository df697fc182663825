# E2 (Fig. 4): the IB Lagrangian on CIFAR-10H's soft labels against the exact LS-optimum curve.


rule e2_ls_path:
    input:
        counts="results/data/cifar10h-counts.npy",
    output:
        path="results/e2/ls_path.csv",
        reference=table_output("results/e2/reference.csv", "table_reference", "E2 IB vs LS on CIFAR-10H"),
    log:
        "results/logs/e2/ls_path.log",
    conda:
        ENV
    resources:
        **job_resources("light"),
    params:
        eps=config["e2"]["ls_eps"],
        code=lsib_code("e2_ls_path.py"),
    script:
        "../scripts/e2_ls_path.py"


rule e2_ib_solutions:
    input:
        counts="results/data/cifar10h-counts.npy",
    output:
        "results/e2/ib_solutions.csv",
    log:
        "results/logs/e2/ib_solutions.log",
    benchmark:
        "results/benchmarks/e2/ib_solutions.tsv"
    conda:
        ENV
    threads: RES["solver"]["threads"]
    resources:
        **job_resources("solver"),
    params:
        betas=config["e2"]["betas"],
        solver=config["e2"]["solver"],
        code=lsib_code("e2_ib_solutions.py"),
    script:
        "../scripts/e2_ib_solutions.py"


rule e2_fig4:
    input:
        path="results/e2/ls_path.csv",
        ib="results/e2/ib_solutions.csv",
        reference="results/e2/reference.csv",
    output:
        figure_output("results/e2/fig4_ib_vs_ls", "fig4", "E2 IB vs LS on CIFAR-10H"),
    log:
        "results/logs/e2/fig4.log",
    conda:
        ENV
    resources:
        **job_resources("light"),
    params:
        code=lsib_code("e2_fig4.py"),
    script:
        "../scripts/e2_fig4.py"


rule e2_gaps:
    input:
        path="results/e2/ls_path.csv",
        ib="results/e2/ib_solutions.csv",
    output:
        table_output("results/e2/gaps.csv", "table_e2_gaps", "E2 IB vs LS on CIFAR-10H"),
    log:
        "results/logs/e2/gaps.log",
    conda:
        ENV
    resources:
        **job_resources("light"),
    params:
        code=lsib_code("e2_gaps.py"),
    script:
        "../scripts/e2_gaps.py"
