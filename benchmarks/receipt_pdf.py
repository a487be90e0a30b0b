"""Time the two-copy receipt PDF against a bare one-page PDF with the same embedded font.

Run from the project root: `.venv/bin/python benchmarks/receipt_pdf.py [renders]`.
The bare PDF (one line of DejaVuSans text) is the floor any embedded-font PDF pays
(font subsetting, compression, file structure), so the ratio shows what the receipt
itself costs; the target is ratio <= 5. Prints one `key=value` line per figure.
"""

from __future__ import annotations

import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.pdfgen.canvas import Canvas  # noqa: E402

from app.documents.drawing import register_font  # noqa: E402
from app.receipts.context import ReceiptContext  # noqa: E402
from app.receipts.render import render_receipt  # noqa: E402
from app.receipts.template import ReceiptTemplate, load_receipt_template  # noqa: E402

WARM_UP = 20


def sample_context(index: int) -> ReceiptContext:
    """A realistic Romanian receipt; `index` varies the number so nothing can be reused."""
    number = f"2026/{index:06d}"
    return ReceiptContext(
        language="ro",
        number=number,
        registered_at="22.11.2026 14:05",
        first_response_due="23.11.2026 14:05",
        channel="Formular web",
        complainant_name="Ana-Maria Ștefănescu-Țurcanu",
        complainant_contact="ana.maria@example.md, +373 69 123 456",
        postal_address="str. Mihai Eminescu 12, ap. 5, Chișinău, MD-2012",
        category="Plăți",
        subject="Câștigul nu a fost virat în cont după încheierea meciului",
        excerpt=(
            "Pe 20 noiembrie am plasat un pariu pe meciul Zimbru – Sheriff. Meciul s-a încheiat, "
            "dar câștigul de 450 MDL nu a fost virat în contul meu, iar serviciul de suport nu…"
        ),
        signature="Semnat electronic: Ana-Maria\u00a0Ștefănescu-Țurcanu — declarația „Confirm că această reclamație "
                  "este adevărată și o semnez” a fost confirmată",
        fingerprint="3F2A-9C1B-77D0-E4A5",
        verify_url=f"https://complaints.demobetting.md/verify/{number.replace('/', '-')}?fp=3F2A9C1B77D0E4A5",
        stamp_date="22.11.2026",
    )


def bare_pdf(template: ReceiptTemplate) -> bytes:
    """One A4 page with one line of text in the receipt's (embedded) regular font."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1)
    canvas.setFont(register_font(template.font_regular), 12)
    canvas.drawString(72, 760, "Complaint registration receipt")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def time_pair_ms(first: Callable[[int], bytes], second: Callable[[int], bytes], runs: int) -> tuple[list[float], list[float]]:
    """Milliseconds per call of each function after a warm-up, calls interleaved so
    both see the same machine load."""
    for index in range(WARM_UP):
        first(index)
        second(index)
    timings: tuple[list[float], list[float]] = ([], [])
    for index in range(runs):
        for render, samples in zip((first, second), timings, strict=True):
            start = time.perf_counter()
            render(index)
            samples.append((time.perf_counter() - start) * 1000)
    return timings


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    template = load_receipt_template(ROOT / "pdf_templates", "ro")
    receipt, bare = time_pair_ms(
        lambda index: render_receipt(sample_context(index), template), lambda index: bare_pdf(template), runs
    )
    receipt_mean, bare_mean = statistics.fmean(receipt), statistics.fmean(bare)
    receipt_p50, bare_p50 = percentile(receipt, 0.5), percentile(bare, 0.5)
    print(f"renders={runs}")
    print(f"receipt_pdf_ms={receipt_mean:.2f} p50={receipt_p50:.2f} p95={percentile(receipt, 0.95):.2f}")
    print(f"bare_pdf_ms={bare_mean:.2f} p50={bare_p50:.2f} p95={percentile(bare, 0.95):.2f}")
    print(f"receipt_bytes={len(render_receipt(sample_context(1), template))} bare_bytes={len(bare_pdf(template))}")
    print(f"ratio_p50={receipt_p50 / bare_p50:.2f}")
    print(f"ratio={receipt_mean / bare_mean:.2f}")


if __name__ == "__main__":
    main()
