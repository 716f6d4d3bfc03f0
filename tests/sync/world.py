"""A small sync world for tests: HQ (SQLite or PostgreSQL) and three enrolled registers.

Two registers belong to stronghold TP-0101 (``a1``, ``a2``), one to TP-0202 (``b1``).
Building it costs a few seconds, so it is made once per session and copied per test;
every copy is a real set of files: SQLCipher registers and HQ's SQLite database.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from app.db.register import Register, StrongholdInfo
from app.hq import admin, ingest
from app.sync import catalog, device
from app.sync.crypto import HqPublicKey

FAST_KDF = {"time_cost": 1, "memory_cost": 8192, "parallelism": 1}
PASSWORD = "sync sinov paroli"
S1 = StrongholdInfo(
    code="TP-0101",
    name="Birinchi tayanch",
    region="Toshkent",
    district="Yunusobod",
    makhalla="Bogʻishamol",
)
S2 = StrongholdInfo(
    code="TP-0202",
    name="Ikkinchi tayanch",
    region="Toshkent",
    district="Yunusobod",
    makhalla="Minor",
)
DEVICES = {"a1": S1, "a2": S1, "b1": S2}
LOGINS = {"a1": "anvar", "a2": "bahrom", "b1": "dilshod"}


def new_register(folder: Path, info: StrongholdInfo, login: str) -> Register:
    reg, _recovery = Register.create(
        folder,
        info,
        login=login,
        full_name=f"{login.title()} Sinovov",
        password=PASSWORD,
        kdf=FAST_KDF,
    )
    return reg


def enrol_by_usb(hq: admin.Hq, reg: Register) -> None:
    code = admin.new_enrolment_code(hq, reg.stronghold_code)
    key = HqPublicKey.from_json(hq.public_key().to_json())
    device.start_enrolment(reg, key, code)


def usb_round(hq: admin.Hq, reg: Register) -> tuple[ingest.Ingested, device.Applied]:
    """Export, import at HQ, import the reply: one trip of the stick."""
    exported = device.export_bundle(reg)
    result = ingest.ingest(hq, exported.data)
    applied = device.import_reply(reg, result.reply)
    return result, applied


def build_template(root: Path, hq_url: str | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    hq = admin.init_hq(root / "hq", db_url=hq_url, name="Sinov tuman IIB")
    for info in (S1, S2):
        admin.add_stronghold(
            hq,
            info.code,
            name=info.name,
            region=info.region,
            district=info.district,
            makhalla=info.makhalla,
        )
    regs = {}
    for name, info in DEVICES.items():
        regs[name] = new_register(root / name, info, LOGINS[name])
        enrol_by_usb(hq, regs[name])
    for _ in range(2):
        for reg in regs.values():
            usb_round(hq, reg)
    for reg in regs.values():
        reg.checkpoint()
        reg.close()
    hq.close()
    return root


@dataclass
class World:
    root: Path
    hq: admin.Hq
    devices: dict[str, Register] = field(default_factory=dict)

    @classmethod
    def open(cls, root: Path, hq_url: str | None = None) -> World:
        return cls(root, admin.open_hq(root / "hq", db_url=hq_url))

    def __getitem__(self, name: str) -> Register:
        """The register, opened the first time a test asks for it (opening costs time)."""
        if name not in self.devices:
            self.devices[name] = Register.open(self.root / name, LOGINS[name], PASSWORD)
        return self.devices[name]

    def usb(self, name: str) -> tuple[ingest.Ingested, device.Applied]:
        return usb_round(self.hq, self[name])

    def settle(self, rounds: int = 2, names: tuple[str, ...] = ("a1", "a2")) -> None:
        for _ in range(rounds):
            for name in names:
                self.usb(name)

    def close(self) -> None:
        for reg in self.devices.values():
            reg.close()
        self.hq.close()


def copy_world(template: Path, target: Path) -> Path:
    shutil.copytree(template, target)
    return target


# --- looking at replicas --------------------------------------------------------------


def rows_of(engine: Engine, stronghold: str, *, skip: tuple[str, ...] = ("audit_entry",)) -> dict:
    """Every row a stronghold's replica should hold (its own and HQ's reference data),
    in wire form (the same on SQLite and PostgreSQL), without the per-replica version."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    mark = "?" if engine.dialect.name == "sqlite" else "%s"
    with engine.connect() as conn:
        for name, info in catalog.tables().items():
            if name in skip:
                continue
            cols = [c for c in info.kinds if c != "version"]
            col_sql = ", ".join(f'"{c}"' for c in cols)
            rows = conn.exec_driver_sql(
                f'SELECT {col_sql} FROM "{name}" WHERE stronghold_code = {mark} '
                f"OR stronghold_code IS NULL",
                (stronghold,),
            ).fetchall()
            for row in rows:
                values = {
                    c: catalog.to_wire(info.kinds[c], v) for c, v in zip(cols, row, strict=True)
                }
                out[(name, values["id"])] = values
    return out


def fingerprint(engine: Engine) -> str:
    """A hash of every row of every table: equal before and after means nothing changed."""
    h = hashlib.sha256()
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            names = [
                r[0]
                for r in conn.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
                )
            ]
        else:
            names = [
                r[0]
                for r in conn.exec_driver_sql(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
                )
            ]
        for name in names:
            if name.startswith("person_fts") or name.startswith("sqlite_"):
                continue
            rows = conn.exec_driver_sql(f'SELECT * FROM "{name}"').fetchall()
            h.update(name.encode())
            for row in sorted(repr(tuple(r)) for r in rows):
                h.update(row.encode())
    return h.hexdigest()
