# F1 (Fig. 1): the theory schematic, from closed forms only (SPEC §4).


rule f1_fig1:
    output:
        figure_output("results/f1/fig1_theory", "fig1", "F1 theory"),
    log:
        "results/logs/f1/fig1.log",
    conda:
        ENV
    resources:
        **job_resources("light"),
    params:
        num_classes=config["f1"]["num_classes"],
        code=lsib_code("f1_fig1.py"),
    script:
        "../scripts/f1_fig1.py"
