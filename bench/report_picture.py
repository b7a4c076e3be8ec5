"""`docs/report-sample.png`: page 1 of a sample PDF attendance report, drawn by the platform.

`python -m bench.report_picture`: a scratch database with one conference (300 seats, 420
sign-ups over three weeks), the real report task run in-process, and the page rendered to PNG
with pypdfium2 (PDFium, the engine of Chrome's PDF viewer).
"""

from __future__ import annotations

from pathlib import Path

DATABASE = "eventmgr_report_picture"
TARGET = Path(__file__).resolve().parents[1] / "docs" / "report-sample.png"


def main() -> None:
    from bench.report_data import attendance_report, drop, prepare, seed

    url = prepare(DATABASE)
    try:
        event_id = seed(url, 420, title="PyCon Berlin Community Day", days=21, capacity=300)
        report_id = attendance_report(event_id, "pdf")
        render(built(report_id), TARGET)
    finally:
        drop(DATABASE)
    print(f"wrote {TARGET}")


def built(report_id: object) -> Path:
    import uuid

    from shared.db import unit_of_work
    from shared.reports.building import Outcome, build_report
    from shared.reports.models import Report
    from shared.storage import get_storage
    from shared.storage.local import LocalStorage

    assert isinstance(report_id, uuid.UUID)
    outcome, _ = build_report(report_id)
    assert outcome is Outcome.ready, outcome
    with unit_of_work() as session:
        report = session.get(Report, report_id)
        assert report is not None
        assert report.object_key
        key = report.object_key
    storage = get_storage()
    assert isinstance(storage, LocalStorage)
    return storage.path_of(key)


def render(pdf: Path, target: Path) -> None:
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        # 110 dpi: an A4 page about 900 px wide, sharp in a README.
        image = document[0].render(scale=110 / 72).to_pil()
        image.save(target, optimize=True)
    finally:
        document.close()


if __name__ == "__main__":
    main()
