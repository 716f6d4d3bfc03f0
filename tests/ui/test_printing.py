"""Printing as a user does it: preview the pages, print, several documents at once, and the
offence protocol from a case recorded on the card. The "printer" is a PDF file (a seam)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from app.services import documents
from tests.ui.conftest import activate, closed, find_open, wait_idle
from ui.printing import PreviewDialog, ReprintProgress
from ui.registers.forms import OffenceForm


def _open_card(qtbot, window):
    page = window.go("persons")
    qtbot.waitUntil(lambda: page.card.card is not None, timeout=10_000)
    return page, page.card


def _preview(qtbot, window) -> PreviewDialog:
    qtbot.waitUntil(lambda: find_open(window, PreviewDialog) is not None, timeout=20_000)
    dlg = find_open(window, PreviewDialog)
    qtbot.waitUntil(lambda: dlg.print_button.isEnabled(), timeout=20_000)
    return dlg


def _pdf_pages(path) -> int:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(path.read_bytes())
    try:
        return len(doc)
    finally:
        doc.close()


def test_offence_case_from_card_previewed_and_printed(qtbot, window, reg, seams_rec, tmp_path):
    page, card = _open_card(qtbot, window)
    person = card.card.person
    card.act("offence")
    form = find_open(window, OffenceForm)
    activate(qtbot, form)
    form.set_values(
        {
            "article": "183",
            "substance": "Jamoat joyida janjal qildi",
            "offence_place": "Bozor oldi",
            "witnesses": "Sobirov Aziz, Navoiy ko'chasi 5",
        }
    )
    with qtbot.waitSignal(form.saved, timeout=10_000):
        form.save()
    qtbot.waitUntil(
        lambda: (
            card.card is not None
            and card.card.person.id == person.id
            and len(card.card.offences) == 1
        ),
        timeout=10_000,
    )

    # Choose the case on the Offences tab and press Ctrl+P: the protocol's preview opens.
    card.tabs.setCurrentIndex(card._titles.index("Offences"))
    card.tables["offences"].selectRow(0)
    assert card.printable()[0] == "offence-protocol"
    window.print_current()
    dlg = _preview(qtbot, window)
    pages = [
        w for w in dlg.pages_host.findChildren(QLabel) if w.pixmap() and not w.pixmap().isNull()
    ]
    assert len(pages) == len(dlg.images) >= 1
    assert pages[0].pixmap().width() > 300  # a real page, not a blank placeholder

    seams_rec.print_to = tmp_path / "printed.pdf"
    with qtbot.waitSignal(dlg.printed_ok, timeout=20_000):
        dlg.print_button.click()
    assert seams_rec.print_jobs == 1
    assert _pdf_pages(tmp_path / "printed.pdf") == len(dlg.images)
    qtbot.waitUntil(
        lambda: (
            card.card is not None
            and [d.kind for d in card.card.documents].count("offence-protocol") == 1
        ),
        timeout=10_000,
    )


def test_cancelled_print_dialog_prints_nothing(qtbot, window, seams_rec, tmp_path):
    _page, _card = _open_card(qtbot, window)
    window.print_current()
    dlg = _preview(qtbot, window)
    seams_rec.print_to = None  # the user presses Cancel in the print dialog
    dlg.print_button.click()
    wait_idle(qtbot)
    assert seams_rec.print_jobs == 0 and not list(tmp_path.glob("*.pdf"))
    dlg.close()


def test_several_selected_documents_print_in_one_job(qtbot, window, reg, seams_rec, tmp_path):
    page, card = _open_card(qtbot, window)
    person = card.card.person
    first = documents.print_document(reg, "supervision-card", person.id, "en")
    documents.issue(reg, "supervision-card", person.id, "en")  # a second, newer one
    window.hub.changed.emit("issued_document")
    qtbot.waitUntil(lambda: card.card is not None and len(card.card.documents) >= 2, timeout=10_000)
    n_docs = len(card.card.documents)
    card.tabs.setCurrentIndex(card._titles.index("Documents"))
    table = card.tables["documents"]
    table.selectAll()
    assert len(card.selected_document_ids()) == n_docs

    seams_rec.print_to = tmp_path / "batch.pdf"
    card.act("print_selected")
    dlg = find_open(window, ReprintProgress)
    assert dlg is not None
    qtbot.waitUntil(lambda: closed(dlg), timeout=30_000)
    single = _pdf_pages_of(first.pdf)
    assert _pdf_pages(tmp_path / "batch.pdf") >= single * n_docs
    assert seams_rec.print_jobs == 1

    # Nothing chosen: a sentence says what to do.
    table.clearSelection()
    card.act("print_selected")
    assert seams_rec.infos and "Documents tab" in seams_rec.infos[-1]


def _pdf_pages_of(data: bytes) -> int:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    try:
        return len(doc)
    finally:
        doc.close()
