# Shared definitions: the run plan (lsib.pipeline.plan), names (lsib.names), wildcard constraints,
# resources, code fingerprints (lsib.pipeline.provenance), input functions and targets.
#
# Naming scheme: rules are called `<stage>_<product>` (stages data, run, e1…e6, f1), each
# script is `workflow/scripts/<rule name>.py` and each output `<product>.<ext>` in the stage's
# folder (`results/runs/<run>/` for the `run` stage); `train` makes the run directory itself.
import os
import re
import sys

# Jobs import lsib from this checkout's src/ (also inside conda envs and on SLURM nodes,
# which inherit the environment), whether or not it is pip-installed. PYTHONPATH is
# prepended to, never replaced.
SRC = os.path.join(workflow.basedir, "src")
sys.path.insert(0, SRC)
os.environ.update(PYTHONPATH=os.pathsep.join([SRC, *filter(None, [os.environ.get("PYTHONPATH")])]))

import lsib.names as names
import lsib.pipeline.plan as plan
from lsib.pipeline.gpus import visible_gpus
from lsib.pipeline.provenance import code_fingerprint

try:
    plan.check(config)
except plan.ConfigError as err:
    raise WorkflowError(f"invalid configuration: {err}") from None
#: Conda environment of every rule (`--sdm conda`), relative to the rule files.
ENV = "../../envs/lsib.yaml"

RES = config["resources"]

# At most k model jobs per GPU whatever --cores says: without a `gpu_slots` bound from the
# command line or a profile, grant k × (visible GPUs) slots (lsib.pipeline.gpus). Under a
# cluster executor (`nodes` is set: --jobs with --executor, the SLURM profile) the scheduler
# places the GPU jobs (GRES shards); a machine without a GPU stays unbounded, as before.
if "gpu_slots" not in workflow.global_resources and workflow.nodes is None and (N_GPUS := visible_gpus()):
    workflow.global_resources["gpu_slots"] = config["gpu"]["jobs_per_gpu"] * N_GPUS
CONFIGURED_DATASETS = sorted(config["datasets"])


wildcard_constraints:
    dataset="[A-Za-z0-9_]+",
    model="|".join(names.MODELS),
    objective="|".join(names.OBJECTIVES),
    coef=plan.coef_constraint(config),  # only planned runs, each coefficient in its one spelling
    seed=r"\d+",


RUN_DIR = "results/runs/{dataset}/{model}/{objective}-{coef}/seed{seed}"
RUN_LOG = "results/logs/{stage}/{dataset}/{model}/{objective}-{coef}/seed{seed}.log"


def lsib_code(script):
    """Fingerprint of the lsib code that ``workflow/scripts/<script>`` executes (a `params` entry).

    An edit to a function the script reaches (transitively) changes it, and the rule's jobs
    rerun; comments, docstrings and formatting do not count (lsib.pipeline.provenance).
    """
    return code_fingerprint(os.path.join(workflow.basedir, "workflow", "scripts", script), SRC)


def run_log(stage):
    """Log path of a per-run job of ``stage``."""
    return RUN_LOG.replace("{stage}", stage)


def run_files(runs, name):
    """``name`` inside each run's directory."""
    return [f"results/runs/{run.path}/{name}" for run in runs]


def figure(path):
    """Both formats of a figure."""
    return [f"{path}.pdf", f"{path}.png"]


#: The results of each `snakemake --report` category, by caption, in the order the report lists
#: them (summaries first: E1's table and Fig. 3, E2's gaps and Fig. 4, E5's gaps), with their names.
REPORT_ORDER = {
    "E1 information plane": {
        "table_information": "information table",
        "fig3": "Fig. 3",
        "fig_curves": "learning curves",
    },
    "E2 IB vs LS on CIFAR-10H": {"table_e2_gaps": "gaps table", "fig4": "Fig. 4", "table_reference": "reference table"},
    "E3 nuisance probes": {"table_probes": "probes table", "fig6": "Fig. 6", "fig_curves": "learning curves"},
    "E4 Grad-CAM": {
        "table_accuracy": "accuracy table",
        "table_box_mass": "box mass table",
        "fig7": "Fig. 7",
        "fig8": "Fig. 8",
        "box_mass": "box mass figure",
        "fig_curves": "learning curves",
    },
    "E5 every objective's optimum on CIFAR-10H": {
        "table_e5_gaps": "gaps table",
        "fig_e5": "E5 figure",
        "table_e5_paths": "paths table",
        "table_iterative_ib": "iterative IB table",
    },
    "E6 what compression buys": {
        "table_e6_matched": "matched comparison",
        "fig_e6_benefits": "benefits figure",
        "table_e6_benefits": "benefits table",
        "fig_e6_projection": "penultimate projection",
        "table_e6_e3_compression": "E3 compression table",
    },
    "F1 theory": {"fig1": "Fig. 1"},
}


def report_labels(caption, category):
    """The report labels of a result: ``#``, its rank in :data:`REPORT_ORDER`, and ``result``, its
    name. Snakemake 9's report lists a subcategory's results sorted by their label values, first
    label first, where every result has labels (else by path)."""
    names = REPORT_ORDER[category]
    return {"#": str(list(names).index(caption) + 1), "result": names[caption]}


def figure_output(path, caption, category, subcategory=None):
    """A figure rule's outputs: the PDF, and the PNG shown in `snakemake --report` with its caption
    (``subcategory`` may hold wildcards, e.g. one entry per data set)."""
    png = report(
        f"{path}.png",
        caption=f"../report/{caption}.rst",
        category=category,
        subcategory=subcategory,
        labels=report_labels(caption, category),
    )
    return [f"{path}.pdf", png]


#: Result tables shown in `snakemake --report`: CSV path pattern → (caption, category, subcategory),
#: filled by :func:`table_output` where each table's rule declares it.
REPORT_TABLES = {}


def table_output(path, caption, category, subcategory=None):
    """A result table (a CSV path, returned unchanged) that the report shows as a table: rule
    `report_table` renders it as ``<path>.html`` (Snakemake 9 shows HTML inline but offers a CSV
    only for download) with ``workflow/report/<caption>.rst`` under ``category``."""
    report_labels(caption, category)  # every result has its place in REPORT_ORDER
    REPORT_TABLES[path] = (caption, category, subcategory)
    return path


def table_regex(pattern, named=True):
    """A regular expression for the paths of a table pattern: each ``{wildcard}`` one folder name,
    a group of that name unless ``named`` is false (a wildcard constraint may not hold groups)."""
    return re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)" if named else "[^/]+", re.escape(pattern))


def report_table(csv):
    """``(caption, category, subcategory)`` of the registered table pattern that ``csv`` matches,
    with the pattern's wildcards (e.g. ``{dataset}``) filled in from ``csv``."""
    for pattern, (caption, category, subcategory) in REPORT_TABLES.items():
        match = re.fullmatch(table_regex(pattern), csv)
        if match:
            return caption, category, subcategory and subcategory.format(**match.groupdict())
    raise ValueError(f"{csv} is not a result table (see table_output)")


def table_caption_text(wildcards):
    """The text of a result table's caption (rule `report_table`, wildcard ``table``)."""
    caption = report_table(f"results/{wildcards.table}.csv")[0]
    with open(os.path.join(workflow.basedir, "workflow", "report", f"{caption}.rst")) as f:
        return f.read()


def report_tables(targets):
    """The HTML page of every target that is a registered result table."""
    out = []
    for target in targets:
        try:
            report_table(target)
        except ValueError:
            continue
        out.append(target.removesuffix(".csv") + ".html")
    return out


def job_resources(kind, gpu=False):
    """Threads are set per rule; this gives runtime, memory and (model jobs) one GPU slot.

    A slot is a 1/k share of a GPU: the workflow grants k × (number of GPUs) of them (above;
    ``--resources gpu_slots=N`` overrides) and lsib.train.gpu_slots picks the job's GPU;
    profiles/slurm gives each group of k model jobs one GPU.
    """
    res = {"runtime": RES[kind]["runtime"], "mem_mb": RES[kind]["mem_mb"]}
    if gpu:
        res["gpu_slots"] = 1
    return res


def source_options(source):
    """Download options of ``source``, shared by every configured data set built from it."""
    specs = [spec for spec in config["datasets"].values() if spec["source"] == source]
    local_dirs = {spec.get("local_dir") for spec in specs} - {None}
    if len(local_dirs) > 1:
        raise WorkflowError(
            f"datasets: the data sets of source {source!r} name different local_dir values {sorted(local_dirs)}"
        )
    return {"local_dir": next(iter(local_dirs), None), "download": any(spec.get("download", True) for spec in specs)}


# Input functions: each takes the job's wildcards and returns the files named after it.


def raw_source_dir(wildcards):
    """The downloaded raw files of the data set's source, if it has a download (data_download)."""
    source = config["datasets"][wildcards.dataset]["source"]
    return [f"{config['raw_dir']}/{source}"] if source in names.DOWNLOADED_SOURCES else []


def e1_dataset_runs(wildcards):
    """The E1 runs on ``wildcards.dataset``."""
    return [r for r in plan.e1_runs(config) if r.dataset == wildcards.dataset]


def e1_run_information(wildcards):
    """information.csv of every E1 run on ``wildcards.dataset``."""
    return run_files(e1_dataset_runs(wildcards), "information.csv")


def e1_run_metrics(wildcards):
    """metrics.csv of every E1 run on ``wildcards.dataset``, in the order of :func:`e1_dataset_runs`."""
    return run_files(e1_dataset_runs(wildcards), "metrics.csv")


def e1_trained_coefficients(wildcards):
    """Objective → the sorted coefficients E1 trains on ``wildcards.dataset`` (a params function)."""
    runs = e1_dataset_runs(wildcards)
    return {o: sorted({r.coef for r in runs if r.objective == o}) for o in names.OBJECTIVES}


def e3_run_probes(wildcards):
    """probes.csv of every E3 run."""
    return run_files(plan.e3_runs(config), "probes.csv")


def e4_run_gradcam(wildcards):
    """gradcam.npz of every E4 run (by objective, then seed)."""
    return run_files(plan.e4_runs(config), "gradcam.npz")


def e4_run_metrics(wildcards):
    """metrics.csv of every E4 run, in the order of :func:`e4_run_gradcam`."""
    return run_files(plan.e4_runs(config), "metrics.csv")


def e4_first_seed_gradcam(wildcards):
    """gradcam.npz of the E4 runs of the first configured seed (Fig. 7)."""
    first = config["e4"]["seeds"][0]
    return run_files([r for r in plan.e4_runs(config) if r.seed == first], "gradcam.npz")


def e6_run_benefits(wildcards):
    """benefits.csv of every E1 run on ``wildcards.dataset`` (E6)."""
    return run_files(e1_dataset_runs(wildcards), "benefits.csv")


def e6_projection_inputs(wildcards):
    """projection.npz of the CE and the LS run E6's projection figure shows (lsib.pipeline.plan.e6_projection_runs)."""
    ce, ls = plan.e6_projection_runs(config, wildcards.dataset)
    return {"ce": run_files([ce], "projection.npz")[0], "ls": run_files([ls], "projection.npz")[0]}


def e6_projection_labels(wildcards):
    """Legend names of the two runs of :func:`e6_projection_inputs` (a params function)."""
    ce, ls = plan.e6_projection_runs(config, wildcards.dataset)
    return {"ce": f"CE (seed {ce.seed})", "ls": f"LS ε={ls.coef:g} (seed {ls.seed})"}


def curve_runs(runs):
    """Identity and planned epochs of each run, in input order (the learning curves' params)."""
    return [
        {
            **{k: getattr(r, k) for k in ("dataset", "model", "objective", "coef", "seed")},
            "total_epochs": plan.total_epochs(config, r),
        }
        for r in runs
    ]


def all_targets():
    """The final outputs of every enabled experiment."""
    targets = []
    if config["f1"]["enabled"]:
        targets += figure("results/f1/fig1_theory")
    if config["e2"]["enabled"]:
        targets += ["results/e2/ib_solutions.csv", "results/e2/ls_path.csv", *figure("results/e2/fig4_ib_vs_ls")]
        targets += ["results/e2/gaps.csv", "results/e2/reference.csv"]
    if config["e5"]["enabled"]:
        targets += ["results/e5/paths.csv", "results/e5/gaps.csv", "results/e5/iterative_ib.csv"]
        targets += figure("results/e5/fig_e5_paths")
    for dataset in sorted({run.dataset for run in plan.e1_runs(config)}):
        targets += [f"results/e1/{dataset}/information.csv", *figure(f"results/e1/{dataset}/fig3_information_plane")]
        targets += figure(f"results/e1/{dataset}/fig_learning_curves")
    if config["e3"]["enabled"]:
        targets += ["results/e3/probes.csv", "results/e3/reference_probes.csv", *figure("results/e3/fig6_probes")]
        targets += figure("results/e3/fig_learning_curves")
    if config["e4"]["enabled"]:
        targets += ["results/e4/accuracy.csv", "results/e4/box_mass.csv", "results/e4/box_mass_summary.csv"]
        targets += (
            figure("results/e4/fig7_gradcam")
            + figure("results/e4/fig8_gradcam_grid")
            + figure("results/e4/fig_box_mass")
            + figure("results/e4/fig_learning_curves")
        )
    if config["e6"]["enabled"]:
        for dataset in sorted({run.dataset for run in plan.e1_runs(config)}):
            targets += [f"results/e6/{dataset}/benefits.csv", f"results/e6/{dataset}/matched.csv"]
            targets += figure(f"results/e6/{dataset}/fig_benefits")
            if plan.e6_projection_runs(config, dataset):
                targets += figure(f"results/e6/{dataset}/fig_projection")
        if config["e3"]["enabled"]:
            targets.append("results/e6/e3_compression.csv")
    return targets + report_tables(targets)
