# Report: every result table (declared with table_output where its rule writes it) as an HTML
# page that `snakemake --report` shows inline, with the table's own caption and category.


rule report_table:
    input:
        "results/{table}.csv",
    output:
        report(
            "results/{table}.html",
            caption="../report/table.rst",
            category=lambda w: report_table(f"results/{w.table}.csv")[1],
            subcategory=lambda w: report_table(f"results/{w.table}.csv")[2],
            labels=lambda w: report_labels(*report_table(f"results/{w.table}.csv")[:2]),
        ),
    log:
        "results/logs/report/{table}.log",
    wildcard_constraints:
        table="|".join(
            table_regex(p, named=False).removeprefix("results/").removesuffix(r"\.csv") for p in REPORT_TABLES
        ),
    conda:
        ENV
    resources:
        **job_resources("light"),
    params:
        title=lambda w: f"results/{w.table}.csv",
        caption=table_caption_text,
        code=lsib_code("report_table.py"),
    script:
        "../scripts/report_table.py"
