"""What users read in their language: order durations (settings and order form), plural
forms of counted days, and the Audit screen's details as captions, never raw keys."""

from __future__ import annotations

from app.i18n import set_language
from app.services import audit, documents
from app.services.persons import persons
from tests.ui.conftest import find_open, switch_language, wait_idle
from ui.orders.forms import OrderForm

LABEL = 3  # the durations table's Label column


def _labels(page) -> list[str]:
    model = page.durations.model()
    return [model.index(row, LABEL).data() for row in range(model.rowCount())]


def _order_form_durations(qtbot, window) -> list[str]:
    window.go("orders")
    window.orders.new_item()
    form = find_open(window, OrderForm)
    qtbot.waitUntil(lambda: form.duration.count() > 0, timeout=10_000)
    texts = [form.duration.itemText(i) for i in range(form.duration.count())]
    form._closing = True
    form.close()
    wait_idle(qtbot)
    return texts


def test_seeded_durations_read_in_the_window_language(qtbot, window):
    for lang, initial, extension, child, days30 in (
        ("uz-Latn", "30 kun", "30 kunga uzaytirish", "30 kun (bola uchun)", "30 kun"),
        ("ru", "30 дней", "продление на 30 дней", "30 дней (для ребёнка)", "30 дней"),
        ("en", "30 days", "extension by 30 days", "30 days (child)", "30 days"),
    ):
        switch_language(qtbot, window, lang)
        page = window.go("settings")
        qtbot.waitUntil(lambda p=page: len(_labels(p)) == 3, timeout=10_000)
        # Ordered by kind: child, extension, initial.
        assert _labels(page) == [child, extension, initial], lang
        assert _order_form_durations(qtbot, window) == [days30], lang


def test_audit_details_are_captions_and_values(qtbot, window, reg):
    p = persons.create(
        reg, surname="Auditov", given_name="Sardor", birth_date="05.06.1985", sex="m"
    )
    persons.update(reg, p.id, workplace="Zavod", phone2="+998901234567")
    documents.issue(reg, "supervision-card", p.id, "uz-Latn")
    window.hub.changed.emit("person")

    def shown() -> dict[str, tuple[str, str]]:
        """action -> (Record, Details) as the table shows them, for this person's entries."""
        page = window.go("audit")
        page.person.set_choice(p.id, "Auditov Sardor")
        page.apply_filter()
        # Created, changed; the document created and printed.
        qtbot.waitUntil(lambda: page.total == 4, timeout=10_000)
        model = page.table.model()
        return {
            e.action: (model.index(row, 3).data(), model.index(row, 4).data())
            for row, e in enumerate(page.table.source.rows)
        }

    rows = shown()
    assert rows["print"] == ("document", "Document: supervision card")
    assert rows["update"] == ("person", "Fields: Second phone, Work or study place")
    assert "workplace" not in " ".join(d for _r, d in rows.values())
    # The same entries read in Uzbek once the window is switched.
    switch_language(qtbot, window, "uz-Latn")
    rows = shown()
    assert rows["update"] == ("shaxs", "Maydonlar: Ikkinchi telefon, Ish yoki oʻqish joyi")
    set_language("en")


def test_audit_count_uses_the_plural_form(qtbot, window, reg, monkeypatch):
    from ui.audit import page as audit_page

    monkeypatch.setattr(audit_page, "LIMIT", 1)
    page = window.go("audit")
    total = audit.count_entries(reg)
    qtbot.waitUntil(lambda: page.total == total, timeout=10_000)
    assert page.count_label.text() == (
        f"Showing the newest 1 of {total} entries. Narrow the filters to see older ones."
    )
