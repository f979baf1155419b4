"""Label rendering: labels per second for batches of 1, 10 and 100, as PDF (one wkhtmltopdf process per
batch) and as ZPL (pure Python; non-ASCII fields rasterised to ^GF).

Each batch size runs in its own spawned Python process so that ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` is the
peak RSS of that size's wkhtmltopdf children alone, and ``RUSAGE_SELF`` that of the Python renderer. One
warm-up run, then ``--runs`` timed runs (median reported). The labels cycle through Thai, Chinese,
Vietnamese and Latin recipients, half with COD, a third with sort codes.

    .venv/bin/python -m bench.documents [--runs 5] [--sizes 1,10,100]

Writes bench/results/documents.json.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import resource
import statistics
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results" / "documents.json"


def _measure(size: int, runs: int) -> dict[str, Any]:
    from kiriman.documents.labels import label_sheets, render_labels
    from kiriman.documents.pdf import PageSize, split_pages
    from kiriman.documents.zpl import labels_zpl
    from tests.unit.documents._label_samples import batch

    docs = batch(size)
    render_labels(docs, PageSize.LABEL_4X6)  # warm-up: templates compiled, fonts cached by fontconfig
    pdf_times: list[float] = []
    html_times: list[float] = []
    pdf = b""
    for _ in range(runs):
        started = time.perf_counter()
        label_sheets(docs, PageSize.LABEL_4X6)
        html_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        pdf = render_labels(docs, PageSize.LABEL_4X6)
        pdf_times.append(time.perf_counter() - started)
    parts = split_pages(pdf)
    labels_zpl(docs)  # warm-up: fonts loaded
    zpl_times: list[float] = []
    zpl = ""
    for _ in range(runs):
        started = time.perf_counter()
        zpl = labels_zpl(docs)
        zpl_times.append(time.perf_counter() - started)
    pdf_median = statistics.median(pdf_times)
    zpl_median = statistics.median(zpl_times)
    return {
        "labels": size,
        "pdf": {
            "median_s": round(pdf_median, 4),
            "min_s": round(min(pdf_times), 4),
            "ms_per_label": round(pdf_median / size * 1000, 2),
            "labels_per_s": round(size / pdf_median, 1),
            "templating_ms_per_label": round(statistics.median(html_times) / size * 1000, 2),
            "batch_bytes": len(pdf),
            "bytes_per_label_in_batch": len(pdf) // size,
            "bytes_per_label_split": int(statistics.median(len(p) for p in parts)),
            "wkhtmltopdf_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
        },
        "zpl": {
            "median_s": round(zpl_median, 4),
            "ms_per_label": round(zpl_median / size * 1000, 2),
            "labels_per_s": round(size / zpl_median, 1),
            "bytes_per_label": len(zpl.encode("utf-8")) // size,
            "graphic_fields_per_label": round(zpl.count("^GFA") / size, 2),
        },
        "python_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "runs": runs,
    }


def _worker(size: int, runs: int, queue: Any) -> None:
    queue.put(_measure(size, runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="1,10,100")
    args = parser.parse_args()
    ctx = multiprocessing.get_context("spawn")
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        queue = ctx.Queue()
        proc = ctx.Process(target=_worker, args=(size, args.runs, queue))
        proc.start()
        row = queue.get(timeout=900)
        proc.join()
        rows.append(row)
        pdf, zpl = row["pdf"], row["zpl"]
        print(
            f"{size:>4} labels  PDF {pdf['ms_per_label']:>7.2f} ms/label ({pdf['labels_per_s']:>6.1f}/s, "
            f"{pdf['bytes_per_label_in_batch']} B/label, wkhtmltopdf {pdf['wkhtmltopdf_peak_rss_mb']} MB)  "
            f"ZPL {zpl['ms_per_label']:>6.2f} ms/label ({zpl['bytes_per_label']} B/label)  "
            f"python {row['python_peak_rss_mb']} MB"
        )
    version = subprocess.run(["wkhtmltopdf", "--version"], capture_output=True, text=True, check=False).stdout.strip()
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "bench": "documents",
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": {
                    "platform": platform.platform(),
                    "machine": platform.machine(),
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "wkhtmltopdf": version,
                },
                "results": rows,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
