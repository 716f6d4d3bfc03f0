"""Document labels exist for every code the register can hand over."""

from __future__ import annotations

import pytest

from app.i18n import translator
from app.reports import labels

enums = pytest.importorskip("app.domain.enums")

PAIRS = [
    ("Direction", labels.DIRECTIONS),
    ("RegisterCategory", labels.REGISTER_CATEGORIES),
    ("EntryStatus", labels.REGISTER_STATUSES),
    ("RiskLevel", labels.RISK_LEVELS),
    ("CheckInKind", labels.CHECKIN_KINDS),
    ("CheckInResult", labels.CHECKIN_RESULTS),
    ("ViolationOutcome", labels.VIOLATION_MEASURES),
    ("VisitPurpose", labels.VISIT_PURPOSES),
    ("DisputeNature", labels.DISPUTE_NATURES),
    ("Prohibition", labels.PROHIBITIONS),
    ("ContributionKind", labels.CONTRIBUTION_KINDS),
    ("RewardKind", labels.CONTRIBUTION_PROPOSALS),
    ("Sex", labels.SEXES),
]


@pytest.mark.parametrize(("enum_name", "group"), PAIRS)
def test_every_domain_code_has_a_document_label(enum_name, group):
    enum = getattr(enums, enum_name, None)
    if enum is None:
        pytest.skip(f"app.domain.enums has no {enum_name}")
    assert sorted(set(enum.codes()) - set(group)) == []


def test_measure_kinds_cover_the_domain_and_protocols():
    assert set(enums.MeasureKind.codes()) <= set(labels.MEASURE_KINDS)
    assert "protocol" in labels.MEASURE_KINDS


def test_label_translates_and_falls_back_to_the_typed_text():
    ru = translator("ru")
    assert labels.label(ru, labels.DIRECTIONS, "family") == "Семейные и бытовые конфликты"
    assert (
        labels.label(ru, labels.POSITIONS, "Profilaktika inspektori") == "Profilaktika inspektori"
    )
    assert labels.capitalised("ўрта") == "Ўрта"
