"""Typed errors of the core: a stable code, the fields involved, a translatable sentence.

The UI and the CLI show ``err.message()``; tests check ``err.code`` and ``err.fields``.
A message template is marked with ``N_`` and formatted with ``params`` after translation,
so the sentence comes out in whatever language the place that shows it uses.
"""

from __future__ import annotations

from typing import Any

from app.i18n import N_, current_language, translator


class TayanchError(Exception):
    """Base of expected failures: refused input, wrong password, bad file."""

    code = "error"
    template = N_("The operation failed.")
    # Params that hold N_-marked words (a kind of record, say), translated with the sentence.
    labels: tuple[str, ...] = ()

    def __init__(
        self,
        template: str | None = None,
        *,
        code: str | None = None,
        fields: dict[str, str] | None = None,
        **params: Any,
    ) -> None:
        if template is not None:
            self.template = template
        if code is not None:
            self.code = code
        self.params = params
        # field name -> message template, for forms that show the error next to the field
        self.fields: dict[str, str] = dict(fields or {})
        super().__init__(self.message("en"))

    def message(self, lang: str | None = None) -> str:
        tr = translator(lang or current_language())
        text = tr.gettext(self.template)
        params = {k: tr.gettext(v) if k in self.labels else v for k, v in self.params.items()}
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return text

    def field_messages(self, lang: str | None = None) -> dict[str, str]:
        tr = translator(lang or current_language())
        return {name: tr.gettext(tpl).format(**self.params) for name, tpl in self.fields.items()}


class ValidationError(TayanchError):
    code = "invalid"
    template = N_("Some fields are not filled in correctly.")


class NotFoundError(TayanchError):
    code = "not_found"
    template = N_("No record with this id: {id}.")


class AuthError(TayanchError):
    code = "auth"
    template = N_("Wrong user name or password. Check the keyboard layout and Caps Lock.")


class WrongRecoveryKeyError(AuthError):
    """The printed recovery key did not open the register (same back-off as a password)."""

    template = N_(
        "This recovery key does not open the register. Compare it with the printed sheet: "
        "8 groups of 5 Latin letters and digits."
    )


class PermissionDenied(TayanchError):
    code = "permission"
    template = N_("Your role does not allow this. Ask the inspector of the stronghold.")


class RegisterExistsError(TayanchError):
    code = "exists"
    template = N_("A register already exists in {path}. Choose another folder or open it.")


class NoRegisterError(TayanchError):
    code = "no_register"
    template = N_("No register in {path}. Create one with 'tayanch init' or 'tayanch demo'.")


class SchemaTooNewError(TayanchError):
    code = "schema_too_new"
    template = N_(
        "This register was written by a newer version of Tayanch ({found}). "
        "Install the newer version to open it."
    )


class ConflictError(TayanchError):
    code = "changed_elsewhere"
    template = N_("This record was changed elsewhere in the meantime. Reopen it and try again.")
