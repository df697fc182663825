# Training (one GPU job per data set, model, objective, coefficient and seed) and the
# dump of the trained model's outputs on every training and test example.
#
# Side file: while `train` runs, it keeps `checkpoint.pt` (lsib.train.run.CHECKPOINT) in the run
# directory and resumes from it after a restart; it deletes it once model.pt is written, so it
# is not a declared output (a finished run never has one).


rule train:
    input:
        data="results/data/{dataset}.pt",
    output:
        model=f"{RUN_DIR}/model.pt",
        metrics=f"{RUN_DIR}/metrics.csv",
    log:
        run_log("train"),
    benchmark:
        "results/benchmarks/train/{dataset}/{model}/{objective}-{coef}/seed{seed}.tsv"
    conda:
        ENV
    threads: RES["train"]["threads"]
    resources:
        **job_resources("train", gpu=True),
    params:
        recipe=lambda wc: plan.recipe_of(config, wc.dataset, wc.model),
        device=config["device"],
        training=config["training"],
        jobs_per_gpu=config["gpu"]["jobs_per_gpu"],
        code=lsib_code("train.py"),
    script:
        "../scripts/train.py"


rule run_outputs:
    input:
        model=f"{RUN_DIR}/model.pt",
        data="results/data/{dataset}.pt",
    output:
        f"{RUN_DIR}/outputs.pt",
    log:
        run_log("outputs"),
    benchmark:
        "results/benchmarks/outputs/{dataset}/{model}/{objective}-{coef}/seed{seed}.tsv"
    conda:
        ENV
    threads: RES["inference"]["threads"]
    resources:
        **job_resources("inference", gpu=True),
    params:
        device=config["device"],
        code=lsib_code("run_outputs.py"),
    script:
        "../scripts/run_outputs.py"
