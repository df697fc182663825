# Data: CIFAR-10H counts (E2); the raw files of each source, downloaded once however many
# data sets use it; one tensor file per configured data set; and the two data sets the
# workflow builds itself (Occluded for E3, Cluttered for E4). Downloads run on the submitting
# host (localrules: cluster nodes are often offline) and are not rerun when the library
# changes (no `code` parameter); conversion, resizing and the derived sets are ordinary jobs.

DOWNLOADS = sorted({spec["source"] for spec in config["datasets"].values()} & set(names.DOWNLOADED_SOURCES))


localrules:
    data_cifar10h,
    data_download,


rule data_cifar10h:
    output:
        "results/data/cifar10h-counts.npy",
    log:
        "results/logs/data/cifar10h.log",
    conda:
        ENV
    params:
        source=config["cifar10h"],
    script:
        "../scripts/data_cifar10h.py"


rule data_download:
    output:
        directory(f"{config['raw_dir']}/{{source}}"),
    log:
        "results/logs/data/download_{source}.log",
    wildcard_constraints:
        source="|".join(DOWNLOADS) or "(?!)",
    conda:
        ENV
    params:
        options=lambda wc: source_options(wc.source),
    script:
        "../scripts/data_download.py"


rule data_prepare:
    input:
        raw=raw_source_dir,
    output:
        "results/data/{dataset}.pt",
    log:
        "results/logs/data/{dataset}.log",
    wildcard_constraints:
        dataset="|".join(CONFIGURED_DATASETS),
    conda:
        ENV
    resources:
        **job_resources("light"),
    params:
        spec=lambda wc: config["datasets"][wc.dataset],
        code=lsib_code("data_prepare.py"),
    script:
        "../scripts/data_prepare.py"


rule data_occluded:
    input:
        base=f"results/data/{config['e3']['base']}.pt",
        digits=f"results/data/{config['e3']['digits']}.pt",
    output:
        "results/data/occluded.pt",
    log:
        "results/logs/data/occluded.log",
    conda:
        ENV
    resources:
        **job_resources("light"),
    params:
        seed=config["e3"]["seed"],
        digit_size=config["e3"]["digit_size"],
        code=lsib_code("data_occluded.py"),
        canvas=config["e3"]["canvas"],
    script:
        "../scripts/data_occluded.py"


rule data_cluttered:
    input:
        digits=f"results/data/{config['e4']['digits']}.pt",
    output:
        "results/data/cluttered.pt",
    log:
        "results/logs/data/cluttered.log",
    conda:
        ENV
    resources:
        **job_resources("light"),
    params:
        seed=config["e4"]["seed"],
        canvas=config["e4"]["canvas"],
        n_crops=config["e4"]["n_crops"],
        crop_size=config["e4"]["crop_size"],
        code=lsib_code("data_cluttered.py"),
    script:
        "../scripts/data_cluttered.py"
