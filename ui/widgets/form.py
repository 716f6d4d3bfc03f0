"""The form dialog every edit screen is built on.

What the issue asks of every form, in one place: the problem shown next to the field as
you type (checked with the same functions the services use, so the form and the core never
disagree); Save disabled while any field is invalid; nothing written until Save; Escape and
the close button ask before throwing edits away. Saving runs on the writer thread; the
service's own ``ValidationError`` lands next to the fields it names.

Forms open with ``open()`` (window-modal, no nested event loop), so locking the window can
hide them and show them again with every keystroke intact.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.errors import TayanchError, ValidationError
from app.i18n import N_, _
from ui import lock, ops, seams, style
from ui.widgets.fields import DATE_PROBLEM, DATETIME_PROBLEM, DateEdit, DateTimeEdit

log = logging.getLogger(__name__)

REQUIRED = N_("This field is required.")
Validator = Callable[[Any, dict[str, Any]], str | None]


@dataclass(eq=False)
class Field:
    name: str
    widget: QWidget
    get: Callable[[], Any]  # raises ValueError when the text cannot be read
    set: Callable[[Any], None]
    raw: Callable[[], Any]  # what "changed" compares: the text as typed
    required: bool = False
    validate: Validator | None = None
    parse_problem: str = N_("This value is not valid.")
    error: QLabel = field(default_factory=QLabel)
    touched: bool = False


class ChoiceBox(QComboBox):
    """A combo of (code, label) pairs; typing the first letters picks, as in any list."""

    def __init__(
        self,
        choices: Iterable[tuple[str, str]],
        *,
        empty: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._fixed = 0 if empty is None else 1  # the empty choice stays through set_choices
        if empty is not None:
            self.addItem(empty, "")
        for code, text in choices:
            self.addItem(text, code)

    def set_choices(self, choices: Iterable[tuple[str, str]]) -> None:
        """New choices (fetched ones: streets, makhallas); the chosen code stays chosen if it
        is still offered, and no change is signalled, so nothing reloads for it."""
        current = self.code()
        self.blockSignals(True)
        while self.count() > self._fixed:
            self.removeItem(self._fixed)
        for code, text in choices:
            self.addItem(text, code)
        self.set_code(current)
        self.blockSignals(False)

    def code(self) -> str:
        return self.currentData() or ""

    def set_code(self, code: str | None) -> None:
        i = self.findData(code or "")
        self.setCurrentIndex(max(i, 0))


def enum_choices(enum: type) -> list[tuple[str, str]]:
    return [(m.value, m.label) for m in enum]


class FormDialog(QDialog):
    """Subclasses add fields in ``__init__`` and implement ``submit(values)``."""

    saved = Signal(object)

    def __init__(self, parent: QWidget | None, title: str, *, columns: int = 1) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        # Closed forms go away; a day of work opens hundreds of them.
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.fields: dict[str, Field] = {}
        self._clean: dict[str, Any] = {}
        self._show_all = False
        self._saving = False
        self._closing = False
        outer = QVBoxLayout(self)
        self.form_error = QLabel()
        style.role(self.form_error, "formError")
        self.form_error.setWordWrap(True)
        self.form_error.hide()
        outer.addWidget(self.form_error)
        row = QHBoxLayout()
        self._columns: list[QFormLayout] = []
        for _i in range(columns):
            col = QFormLayout()
            col.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            row.addLayout(col, 1)
            self._columns.append(col)
        self._column = self._columns[0]
        outer.addLayout(row)
        buttons = QHBoxLayout()
        self.hint = QLabel(_("Ctrl+S saves, Esc cancels"))
        style.role(self.hint, "muted")
        buttons.addWidget(self.hint)
        buttons.addStretch(1)
        self.cancel_button = QPushButton(_("Cancel"))
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.reject)
        self.save_button = QPushButton(_("Save"))
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)
        outer.addLayout(buttons)
        for keys in (QKeySequence.StandardKey.Save, QKeySequence("Ctrl+Return")):
            QShortcut(keys, self, activated=self.save)
        QShortcut(QKeySequence("Ctrl+L"), self, activated=lock.request_lock)

    # --- building ------------------------------------------------------------------

    def use_column(self, index: int) -> None:
        self._column = self._columns[index]

    def add_section(self, title: str) -> None:
        label = QLabel(title)
        style.role(label, "sectionTitle")
        self._column.addRow(label)

    def add_field(
        self,
        name: str,
        label: str,
        widget: QWidget,
        *,
        get: Callable[[], Any],
        set: Callable[[Any], None],
        raw: Callable[[], Any],
        changed: Any,
        required: bool = False,
        validate: Validator | None = None,
        parse_problem: str | None = None,
    ) -> Field:
        error = QLabel()
        style.role(error, "fieldError")
        error.setWordWrap(True)
        error.hide()
        box = QWidget()
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(1)
        lay.addWidget(widget)
        lay.addWidget(error)
        caption = QLabel(label + (" *" if required else ""))
        caption.setBuddy(widget)
        self._column.addRow(caption, box)
        f = Field(
            name,
            widget,
            get,
            set,
            raw,
            required,
            validate,
            parse_problem or N_("This value is not valid."),
            error,
        )
        self.fields[name] = f

        def on_change(*_args: Any) -> None:
            f.touched = True
            self.revalidate()

        changed.connect(on_change)
        return f

    def add_text(
        self,
        name: str,
        label: str,
        *,
        required: bool = False,
        validate: Validator | None = None,
        placeholder: str = "",
        max_length: int = 0,
    ) -> QLineEdit:
        w = QLineEdit()
        w.setPlaceholderText(placeholder)
        if max_length:
            w.setMaxLength(max_length)
        self.add_field(
            name,
            label,
            w,
            get=lambda: w.text().strip(),
            set=lambda v: w.setText(v or ""),
            raw=w.text,
            changed=w.textChanged,
            required=required,
            validate=validate,
        )
        return w

    def add_multiline(
        self, name: str, label: str, *, required: bool = False, lines: int = 3
    ) -> QPlainTextEdit:
        w = QPlainTextEdit()
        w.setTabChangesFocus(True)  # Tab moves on, as in every other field of the form
        w.setFixedHeight(w.fontMetrics().lineSpacing() * lines + 12)
        self.add_field(
            name,
            label,
            w,
            get=lambda: w.toPlainText().strip(),
            set=lambda v: w.setPlainText(v or ""),
            raw=w.toPlainText,
            changed=w.textChanged,
            required=required,
        )
        return w

    def add_date(
        self,
        name: str,
        label: str,
        *,
        required: bool = False,
        validate: Validator | None = None,
        default: date | None = None,
    ) -> DateEdit:
        w = DateEdit()
        w.set_date(default)
        self.add_field(
            name,
            label,
            w,
            get=w.date_value,
            set=w.set_date,
            raw=w.text,
            changed=w.textChanged,
            required=required,
            validate=validate,
            parse_problem=DATE_PROBLEM,
        )
        return w

    def add_datetime(
        self, name: str, label: str, *, required: bool = False, default: datetime | None = None
    ) -> DateTimeEdit:
        w = DateTimeEdit()
        w.set_datetime(default)
        self.add_field(
            name,
            label,
            w,
            get=w.datetime_value,
            set=w.set_datetime,
            raw=w.text,
            changed=w.textChanged,
            required=required,
            parse_problem=DATETIME_PROBLEM,
        )
        return w

    def add_choice(
        self,
        name: str,
        label: str,
        choices: Iterable[tuple[str, str]],
        *,
        empty: str | None = None,
        default: str | None = None,
        required: bool = False,
    ) -> ChoiceBox:
        w = ChoiceBox(choices, empty=empty)
        w.set_code(default)
        self.add_field(
            name,
            label,
            w,
            get=w.code,
            set=w.set_code,
            raw=w.code,
            changed=w.currentIndexChanged,
            required=required,
        )
        return w

    def add_int(
        self, name: str, label: str, *, minimum: int, maximum: int, default: int
    ) -> QSpinBox:
        w = QSpinBox()
        w.setRange(minimum, maximum)
        w.setValue(default)
        self.add_field(
            name,
            label,
            w,
            get=w.value,
            set=lambda v: w.setValue(int(v or 0)),
            raw=w.value,
            changed=w.valueChanged,
        )
        return w

    def add_check(self, name: str, label: str, *, default: bool = False) -> QCheckBox:
        w = QCheckBox()
        w.setChecked(default)
        self.add_field(
            name,
            label,
            w,
            get=w.isChecked,
            set=lambda v: w.setChecked(bool(v)),
            raw=w.isChecked,
            changed=w.toggled,
        )
        return w

    # --- state ---------------------------------------------------------------------

    def set_values(self, values: dict[str, Any]) -> None:
        for name, value in values.items():
            if name in self.fields:
                self.fields[name].set(value)
        for f in self.fields.values():
            f.touched = False
        self.mark_clean()

    def mark_clean(self) -> None:
        """What the form holds now counts as unchanged (call after filling it)."""
        self._clean = {name: f.raw() for name, f in self.fields.items()}
        self.revalidate()

    def is_dirty(self) -> bool:
        return any(f.raw() != self._clean.get(name) for name, f in self.fields.items())

    def values(self) -> dict[str, Any]:
        """The typed values of the fields that can be read (problems() names the rest)."""
        out: dict[str, Any] = {}
        for name, f in self.fields.items():
            try:
                out[name] = f.get()
            except ValueError:
                pass
        return out

    def cross_check(self, values: dict[str, Any], problems: dict[str, str]) -> None:
        """Rules between fields (end after start); subclasses add to ``problems``."""

    def problems(self) -> dict[str, str]:
        problems: dict[str, str] = {}
        values = self.values()
        for name, f in self.fields.items():
            if name not in values:
                problems[name] = f.parse_problem
                continue
            v = values[name]
            if v is None or v == "":
                if f.required:
                    problems[name] = REQUIRED
                continue
            if f.validate is not None:
                msg = f.validate(v, values)
                if msg:
                    problems[name] = msg
        self.cross_check(values, problems)
        return problems

    def revalidate(self) -> bool:
        problems = self.problems()
        for name, f in self.fields.items():
            msg = problems.get(name)
            visible = bool(msg) and (f.touched or self._show_all)
            self._show_field_error(f, _(msg) if visible else "")
        self.save_button.setEnabled(not problems and not self._saving)
        return not problems

    def _show_field_error(self, f: Field, text: str) -> None:
        f.error.setText(text)
        f.error.setVisible(bool(text))
        style.mark_invalid(f.widget, bool(text))

    def field_error(self, name: str) -> str:
        """The message shown next to a field now ('' when none): what tests and users see."""
        f = self.fields[name]
        return "" if f.error.isHidden() else f.error.text()

    # --- saving --------------------------------------------------------------------

    def submit(self, values: dict[str, Any]) -> Any:
        """Write through a service; runs on the writer thread, so no widget access here."""
        raise NotImplementedError

    def save(self) -> None:
        if self._saving:
            return
        self._show_all = True
        if not self.revalidate():
            for f in self.fields.values():
                if f.error.text():
                    f.widget.setFocus()
                    break
            return
        values = self.values()
        self._saving = True
        self.save_button.setEnabled(False)
        self.form_error.hide()
        ops.Op(self, lambda: self.submit(values), write=True, name="save").success(
            self._saved
        ).failure(self._failed).with_progress(_("Saving…")).run()

    def _saved(self, record: Any) -> None:
        self._saving = False
        self.saved.emit(record)
        self._closing = True
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._saving = False
        if isinstance(exc, ValidationError) and exc.fields:
            messages = exc.field_messages()
            unplaced = []
            for name, text in messages.items():
                if name in self.fields:
                    self._show_field_error(self.fields[name], text)
                else:
                    unplaced.append(text)
            self.form_error.setText(" ".join(unplaced) or exc.message())
            self.form_error.show()
            self.save_button.setEnabled(True)
        elif isinstance(exc, TayanchError):
            self.form_error.setText(exc.message())
            self.form_error.show()
            self.save_button.setEnabled(True)
        else:
            self.save_button.setEnabled(True)
            ops.show_failure(self, exc)

    # --- leaving -------------------------------------------------------------------

    def _may_leave(self) -> bool:
        if self._closing or not self.is_dirty():
            return True
        return seams.ask_confirm(self, _("Throw away the changes you made in this form?"))

    def reject(self) -> None:
        if self._saving:
            return
        if self._may_leave():
            self._closing = True
            super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if self._closing or self._may_leave():
            self._closing = True
            event.accept()
        else:
            event.ignore()
