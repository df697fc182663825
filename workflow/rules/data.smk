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
    conda:
        ENV
    output:
        "results/data/cifar10h-counts.npy",
    params:
        source=config["cifar10h"],
    log:
        "results/logs/data/cifar10h.log",
    script:
        "../scripts/data_cifar10h.py"


rule data_download:
    conda:
        ENV
    output:
        directory(f"{config['raw_dir']}/{{source}}"),
    params:
        options=lambda wc: source_options(wc.source),
    wildcard_constraints:
        source="|".join(DOWNLOADS) or "(?!)",
    log:
        "results/logs/data/download_{source}.log",
    script:
        "../scripts/data_download.py"


rule data_prepare:
    conda:
        ENV
    input:
        raw=raw_source_dir,
    output:
        "results/data/{dataset}.pt",
    params:
        spec=lambda wc: config["datasets"][wc.dataset],
        code=lsib_code("data_prepare.py"),
    wildcard_constraints:
        dataset="|".join(CONFIGURED_DATASETS),
    log:
        "results/logs/data/{dataset}.log",
    resources:
        **job_resources("light"),
    script:
        "../scripts/data_prepare.py"


rule data_occluded:
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
        code=lsib_code("data_occluded.py"),
        canvas=config["e3"]["canvas"],
    log:
        "results/logs/data/occluded.log",
    resources:
        **job_resources("light"),
    script:
        "../scripts/data_occluded.py"


rule data_cluttered:
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
        code=lsib_code("data_cluttered.py"),
    log:
        "results/logs/data/cluttered.log",
    resources:
        **job_resources("light"),
    script:
        "../scripts/data_cluttered.py"
