# Shared definitions: the run plan (lsib.plan), wildcard constraints, resources, targets.
import os
import sys

# Jobs import lsib from this checkout's src/ (also inside conda envs and on SLURM nodes,
# which inherit the environment), whether or not it is pip-installed.
SRC = os.path.join(workflow.basedir, "src")
sys.path.insert(0, SRC)
os.environ.update(PYTHONPATH=SRC)

import lsib.plan as plan

try:
    plan.check(config)
except plan.ConfigError as err:
    raise WorkflowError(f"invalid configuration: {err}") from None
#: Conda environment of every rule (`--sdm conda`), relative to the rule files.
ENV = "../../envs/lsib.yaml"

RES = config["resources"]
CONFIGURED_DATASETS = sorted(config["datasets"])


wildcard_constraints:
    dataset="[A-Za-z0-9_]+",
    model="|".join(["resnet8", "resnet20", "resnet56", "cct_7_7x2", "cct_tiny"]),
    objective="ce|ls|cp|vib",
    coef="[0-9.e+-]+",
    seed=r"\d+",


RUN_DIR = "results/runs/{dataset}/{model}/{objective}-{coef}/seed{seed}"
RUN_LOG = "results/logs/{stage}/{dataset}/{model}/{objective}-{coef}/seed{seed}.log"


def run_log(stage):
    """Log path of a per-run job of ``stage``."""
    return RUN_LOG.replace("{stage}", stage)


def run_files(runs, name):
    """``name`` inside each run's directory."""
    return [f"results/runs/{run.path}/{name}" for run in runs]


def figure(path):
    """Both formats of a figure."""
    return [f"{path}.pdf", f"{path}.png"]


def figure_output(path, caption, category):
    """A figure rule's outputs: the PDF, and the PNG shown in `snakemake --report` with its caption."""
    return [f"{path}.pdf", report(f"{path}.png", caption=f"../report/{caption}.rst", category=category)]


def job_resources(kind, gpu=False):
    """Threads are set per rule; this gives runtime, memory and (training, inference) one GPU."""
    res = {"runtime": RES[kind]["runtime"], "mem_mb": RES[kind]["mem_mb"]}
    if gpu:
        res["gpu"] = 1
    return res


def all_targets():
    """The final outputs of every enabled experiment."""
    targets = []
    if config["f1"]["enabled"]:
        targets += figure("results/f1/fig1_theory")
    if config["e2"]["enabled"]:
        targets += ["results/e2/ib_solutions.csv", "results/e2/ls_path.csv", *figure("results/e2/fig4_ib_vs_ls")]
        targets += ["results/e2/gaps.csv"]
    if config["e5"]["enabled"]:
        targets += ["results/e5/paths.csv", "results/e5/gaps.csv", "results/e5/iterative_ib.csv"]
        targets += figure("results/e5/fig_e5_paths")
    for dataset in sorted({run.dataset for run in plan.e1_runs(config)}):
        targets += [f"results/e1/{dataset}/information.csv", *figure(f"results/e1/{dataset}/fig3_information_plane")]
    if config["e3"]["enabled"]:
        targets += ["results/e3/probes.csv", "results/e3/reference_probes.csv", *figure("results/e3/fig6_probes")]
    if config["e4"]["enabled"]:
        targets += ["results/e4/accuracy.csv", "results/e4/box_mass.csv", "results/e4/box_mass_summary.csv"]
        targets += figure("results/e4/fig7_gradcam") + figure("results/e4/fig8_gradcam_grid") + figure("results/e4/fig_box_mass")
    return targets
