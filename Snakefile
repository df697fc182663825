# lsib — "Label Smoothing is a Pragmatic Information Bottleneck" as one workflow.
#   snakemake --cores 8                                   # the paper (config.yaml)
#   snakemake --cores 2 --configfile presets/quick.yaml   # CPU-minutes version, offline data
# Stages: data (data.smk) → training (train.smk) → exact information / probes / saliency
# (e1.smk, e3.smk, e4.smk) → figures; E6 measures the E1 and E3 runs again (e6.smk); E2, E5 and F1 need no
# training (e2.smk, e5.smk, f1.smk).

from snakemake.utils import min_version, validate

min_version("8.20")


configfile: "config.yaml"


report: "workflow/report/workflow.rst"


validate(config, "workflow/schemas/config.schema.yaml")


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/f1.smk"
include: "workflow/rules/e2.smk"
include: "workflow/rules/e5.smk"
include: "workflow/rules/e1.smk"
include: "workflow/rules/e3.smk"
include: "workflow/rules/e4.smk"
include: "workflow/rules/e6.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        all_targets(),
