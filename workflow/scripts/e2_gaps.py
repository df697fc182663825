"""E2: each IB solution's gap to the LS curve at equal Î(X;Z), and where the LS curve ends."""

from lsib.atomic import save_csv
from lsib.checks import read_table
from lsib.info.frontier import ls_gaps_at_equal_compression
from lsib.pipeline.joblog import job_log


def main(smk) -> None:
    with job_log(smk.log[0]) as log:
        ib = read_table(smk.input.ib, finite=("beta", "i_xz", "i_zy"))
        table = ls_gaps_at_equal_compression(ib, read_table(smk.input.path, finite=("eps", "i_xz", "i_zy")))
        log(
            f"LS curve ends at Î(X;Z) = {table['ls_end_i_xz'].iloc[0]:.4f}, Î(Z;Y) = {table['ls_end_i_zy'].iloc[0]:.4f}"
        )
        for row in table.itertuples():
            log(
                f"{row.variant} β={row.beta:.4g}: Î(X;Z)={row.i_xz:.4f} Î(Z;Y)={row.i_zy:.4f} "
                f"LS there={row.ls_i_zy:.4f} gap={row.gap:.4f}"
            )
        save_csv(table, smk.output[0], nullable=("ls_i_zy", "gap"))  # empty beyond the LS curve's end


main(snakemake)  # noqa: F821
