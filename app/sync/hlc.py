"""Hybrid logical clock stamps, as fixed-width text so that comparing strings orders them.

A stamp is ``WWWWWWWWWWWWW-CCCCCC-NODE``: wall-clock milliseconds, a counter for events
within the same millisecond (or while the wall clock lags a stamp already seen), and the
node that made it, which breaks ties. Every replica orders stamps the same way, so last
writer wins gives the same answer everywhere. The device's triggers build the same text
in SQL (``capture.py``); this module is the Python side of the same format.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

WALL_DIGITS = 13
COUNTER_DIGITS = 6
SQL_FORMAT = "'%013d-%06d-%s'"  # printf() arguments: wall, counter, node


@dataclass(frozen=True, order=True)
class Stamp:
    wall: int
    counter: int
    node: str

    def __str__(self) -> str:
        return f"{self.wall:013d}-{self.counter:06d}-{self.node}"


def parse(text: str) -> Stamp:
    """Parse a stamp; raise ValueError on anything that is not one."""
    wall, counter, node = text.split("-", 2)
    if len(wall) != WALL_DIGITS or len(counter) != COUNTER_DIGITS or not node:
        raise ValueError(text)
    return Stamp(int(wall), int(counter), node)


def is_stamp(text: object) -> bool:
    if not isinstance(text, str) or len(text) > 80:
        return False
    try:
        parse(text)
    except ValueError:
        return False
    return True


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def advance(wall: int, counter: int, seen: list[str] | None = None) -> tuple[int, int]:
    """The clock state after receiving ``seen`` stamps (and the local time passing).

    The next local event is stamped strictly after every stamp seen, so a change made
    after receiving another always wins against it, whatever the computers' clocks say.
    """
    new_wall, new_counter = wall, counter
    for text in seen or ():
        s = parse(text)
        if (s.wall, s.counter) > (new_wall, new_counter):
            new_wall, new_counter = s.wall, s.counter
    physical = now_ms()
    if physical > new_wall:
        return physical, 0
    return new_wall, new_counter + 1


def make(wall: int, counter: int, node: str) -> str:
    return str(Stamp(wall, counter, node))
