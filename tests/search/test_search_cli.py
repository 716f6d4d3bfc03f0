"""`tayanch find`, `import persons` and `export` as a script or a person at a terminal uses them."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

import openpyxl

from app.domain.enums import RegisterCategory
from tests.conftest import PASSWORD


def tayanch(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAYANCH_")}
    env["TAYANCH_PASSWORD"] = PASSWORD
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


def test_import_find_and_export_from_the_command_line(register_dir, tmp_path):
    d = ["--data-dir", str(register_dir), "--lang", "en"]
    good = tmp_path / "people.csv"
    with open(good, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f, delimiter=";")
        w.writerow(
            [
                "Фамилия",
                "Имя",
                "Дата рождения",
                "Пол",
                "ПИНФЛ",
                "Вид учёта",
                "Дата постановки на учёт",
            ]
        )
        w.writerow(
            ["Қодиров", "Шавкат", "12.03.1985", "М", "31203851234567", "parole", "01.02.2026"]
        )
        w.writerow(["Hasanov", "Dilshod", "06.06.1980", "M", "", "", ""])
    bad = tmp_path / "bad.csv"
    rows = good.read_text(encoding="utf-8-sig").splitlines()
    bad.write_text(
        "\n".join([rows[0], rows[1], rows[2].replace("06.06.1980", "31.02.1980")]), encoding="utf-8"
    )

    out = tayanch(*d, "import", "persons", str(bad))
    assert out.returncode == 1
    assert "not imported" in one_line(out.stderr)
    assert out.stdout.strip() == "row 3, column “Дата рождения”: Enter a date as dd.mm.yyyy."

    out = tayanch(*d, "import", "persons", str(good), "--dry-run")
    assert out.returncode == 0, out.stderr
    assert "Dry run" in out.stdout and "2 added" in out.stdout
    out = tayanch(*d, "find", "Qodirov", "--json")
    assert json.loads(out.stdout) == []  # the dry run changed nothing

    out = tayanch(*d, "import", "persons", str(good))
    assert out.returncode == 0, out.stderr
    assert "2 added" in out.stdout

    out = tayanch(*d, "find", "Кодиров", "Shavkat", "--json")
    assert out.returncode == 0, out.stderr
    (hit,) = json.loads(out.stdout)
    assert hit["full_name"] == "Қодиров Шавкат" and hit["birth_date"] == "1985-03-12"
    assert hit["pinfl"] == "31203851234567" and hit["registers"] == ["parole"]

    out = tayanch(*d, "find", "xasanov")
    assert out.returncode == 0
    line = out.stdout.strip()
    assert "Hasanov Dilshod  06.06.1980  -" in line and len(out.stdout.splitlines()) == 1

    xlsx = tmp_path / "out.xlsx"
    out = tayanch(*d, "export", "persons", str(xlsx))
    assert out.returncode == 0, out.stderr
    assert "2 rows" in out.stdout and "not encrypted" in out.stderr
    ws = openpyxl.load_workbook(xlsx).worksheets[0]
    assert ws.cell(row=1, column=1).value == "Surname"
    # Personal data unencrypted on a shared computer: for its owner's eyes only.
    assert xlsx.stat().st_mode & 0o777 == 0o600

    out = tayanch(*d, "export", "persons", str(tmp_path / "out.pdf"))
    assert out.returncode == 1 and ".csv or .xlsx" in one_line(out.stderr)
    assert not (tmp_path / "out.pdf").exists()


def run_in_process(*args: str) -> int:
    from app.cli import main
    from app.i18n import current_language, set_language

    lang = current_language()
    try:
        return main(list(args))
    except SystemExit as exc:
        return exc.code
    finally:
        set_language(lang)


def test_import_help_lists_the_register_category_codes(capsys):
    assert run_in_process("--lang", "en", "import", "persons", "--help") == 0
    out = capsys.readouterr().out
    for code in RegisterCategory.codes():
        assert code in out


def test_wrong_usage_exits_2(capsys):
    assert run_in_process("import", "persons") == 2
    assert run_in_process("export", "people", "x.csv") == 2
    assert run_in_process("find") == 2
