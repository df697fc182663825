# Data: CIFAR-10H counts (E2), one tensor file per configured data set, and the two data
# sets the workflow builds itself (Occluded for E3, Cluttered for E4). Downloads run on the
# submitting host (localrules): cluster nodes are often offline.


localrules:
    fetch_cifar10h,
    prepare_dataset,


rule fetch_cifar10h:
    conda:
        ENV
    output:
        "results/data/cifar10h-counts.npy",
    params:
        source=config["cifar10h"],
    log:
        "results/logs/data/cifar10h.log",
    script:
        "../scripts/fetch_cifar10h.py"


rule prepare_dataset:
    conda:
        ENV
    output:
        "results/data/{dataset}.pt",
    params:
        spec=lambda wc: config["datasets"][wc.dataset],
        raw_dir=config["raw_dir"],
    wildcard_constraints:
        dataset="|".join(CONFIGURED_DATASETS),
    log:
        "results/logs/data/{dataset}.log",
    script:
        "../scripts/prepare_dataset.py"


rule occluded_dataset:
    conda:
        ENV
    input:
        base=f"results/data/{config['e3']['base']}.pt",
        digits=f"results/data/{config['e3']['digits']}.pt",
    output:
        "results/data/occluded.pt",
    params:
        seed=config["e3"]["seed"],
        digit_size=config["e3"]["digit_size"],
        canvas=config["e3"]["canvas"],
    log:
        "results/logs/data/occluded.log",
    resources:
        **job_resources("light"),
    script:
        "../scripts/occluded_dataset.py"


rule cluttered_dataset:
    conda:
        ENV
    input:
        digits=f"results/data/{config['e4']['digits']}.pt",
    output:
        "results/data/cluttered.pt",
    params:
        seed=config["e4"]["seed"],
        canvas=config["e4"]["canvas"],
        n_crops=config["e4"]["n_crops"],
        crop_size=config["e4"]["crop_size"],
    log:
        "results/logs/data/cluttered.log",
    resources:
        **job_resources("light"),
    script:
        "../scripts/cluttered_dataset.py"
