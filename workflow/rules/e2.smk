# E2 (Fig. 4): the IB Lagrangian on CIFAR-10H's soft labels against the exact LS-optimum curve.


rule e2_ls_path:
    conda:
        ENV
    input:
        counts="results/data/cifar10h-counts.npy",
    output:
        path="results/e2/ls_path.csv",
        reference="results/e2/reference.csv",
    params:
        eps=config["e2"]["ls_eps"],
        code=lsib_code("e2_ls_path.py"),
    log:
        "results/logs/e2/ls_path.log",
    resources:
        **job_resources("light"),
    script:
        "../scripts/e2_ls_path.py"


rule e2_ib_solutions:
    conda:
        ENV
    input:
        counts="results/data/cifar10h-counts.npy",
    output:
        "results/e2/ib_solutions.csv",
    params:
        betas=config["e2"]["betas"],
        solver=config["e2"]["solver"],
        code=lsib_code("e2_ib_solutions.py"),
    log:
        "results/logs/e2/ib_solutions.log",
    benchmark:
        "results/benchmarks/e2/ib_solutions.tsv"
    threads: RES["solver"]["threads"]
    resources:
        **job_resources("solver"),
    script:
        "../scripts/e2_ib_solutions.py"


rule e2_fig4:
    conda:
        ENV
    input:
        path="results/e2/ls_path.csv",
        ib="results/e2/ib_solutions.csv",
        reference="results/e2/reference.csv",
    output:
        figure_output("results/e2/fig4_ib_vs_ls", "fig4", "E2 IB vs LS on CIFAR-10H"),
    params:
        code=lsib_code("e2_fig4.py"),
    log:
        "results/logs/e2/fig4.log",
    resources:
        **job_resources("light"),
    script:
        "../scripts/e2_fig4.py"


rule e2_gaps:
    conda:
        ENV
    input:
        path="results/e2/ls_path.csv",
        ib="results/e2/ib_solutions.csv",
    output:
        "results/e2/gaps.csv",
    params:
        code=lsib_code("e2_gaps.py"),
    log:
        "results/logs/e2/gaps.log",
    resources:
        **job_resources("light"),
    script:
        "../scripts/e2_gaps.py"
