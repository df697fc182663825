# E5 (beyond the paper): every objective's exact optimum path on CIFAR-10H next to the IB frontier
# (E2's Adam solutions and the classic iterative IB algorithm), gaps at equal Î(X;Z).


rule e5_iterative_ib:
    input:
        counts="results/data/cifar10h-counts.npy",
    output:
        table_output("results/e5/iterative_ib.csv", "table_iterative_ib", "E5 every objective's optimum on CIFAR-10H"),
    log:
        "results/logs/e5/iterative_ib.log",
    benchmark:
        "results/benchmarks/e5/iterative_ib.tsv"
    conda:
        ENV
    threads: 1
    resources:
        **job_resources("light"),
    params:
        settings=config["e5"]["iterative_ib"],
        code=lsib_code("e5_iterative_ib.py"),
    script:
        "../scripts/e5_iterative_ib.py"


rule e5_paths:
    input:
        counts="results/data/cifar10h-counts.npy",
        ib="results/e2/ib_solutions.csv",
        iterative="results/e5/iterative_ib.csv",
    output:
        paths=table_output("results/e5/paths.csv", "table_e5_paths", "E5 every objective's optimum on CIFAR-10H"),
        gaps=table_output("results/e5/gaps.csv", "table_e5_gaps", "E5 every objective's optimum on CIFAR-10H"),
    log:
        "results/logs/e5/paths.log",
    benchmark:
        "results/benchmarks/e5/paths.tsv"
    conda:
        ENV
    threads: 1
    resources:
        **job_resources("light"),
    params:
        e5={k: v for k, v in config["e5"].items() if k not in ("enabled", "iterative_ib")},
        code=lsib_code("e5_paths.py"),
    script:
        "../scripts/e5_paths.py"


rule e5_fig_paths:
    input:
        paths="results/e5/paths.csv",
        ib="results/e2/ib_solutions.csv",
        iterative="results/e5/iterative_ib.csv",
        reference="results/e2/reference.csv",
    output:
        figure_output("results/e5/fig_e5_paths", "fig_e5", "E5 every objective's optimum on CIFAR-10H"),
    log:
        "results/logs/e5/figure.log",
    conda:
        ENV
    resources:
        **job_resources("light"),
    params:
        code=lsib_code("e5_fig_paths.py"),
    script:
        "../scripts/e5_fig_paths.py"
