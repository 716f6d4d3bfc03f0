"""Most strongholds run Windows: no POSIX-only call may reach app/ or ui/ unguarded.

A static check, because the suite runs on Linux where such a call works: ``os.fork`` or
``fcntl`` would only fail on an inspector's Windows laptop. A use counts as guarded when
it sits in a ``try`` that catches ImportError/AttributeError/OSError (or Exception), under
an ``if`` that asks about the platform (``sys.platform``, ``os.name``, ``hasattr``...), or,
for a module imported under ``try/except ImportError``, when the file tests it for None.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("app", "ui")

# Modules that do not exist on Windows.
POSIX_MODULES = frozenset({
    "fcntl", "pwd", "grp", "termios", "tty", "pty", "resource", "posix", "syslog", "crypt",
    "spwd", "nis", "ossaudiodev", "readline", "curses",
})
# Attributes that are missing on Windows (AttributeError) or never return there.
POSIX_ATTRIBUTES = {
    "os": frozenset({
        "fork", "forkpty", "statvfs", "fstatvfs", "getuid", "geteuid", "getgid", "getegid",
        "setuid", "setgid", "setsid", "getpgid", "setpgid", "setpgrp", "killpg", "chown",
        "lchown", "fchown", "mkfifo", "mknod", "nice", "getloadavg", "wait3", "wait4",
        "WNOHANG", "uname", "sync", "pipe2", "posix_fadvise", "posix_fallocate", "getpwnam",
        "ST_RDONLY", "O_NOFOLLOW", "O_CLOEXEC", "sched_setaffinity", "sched_getaffinity",
        "openpty", "ttyname", "sysconf", "pathconf", "fpathconf", "confstr", "getgroups",
    }),
    "signal": frozenset({
        "SIGKILL", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGCHLD", "SIGPIPE", "SIGQUIT",
        "SIGSTOP", "SIGCONT", "SIGTSTP", "alarm", "setitimer", "getitimer", "pause",
        "pthread_kill", "pthread_sigmask", "sigwait", "siginterrupt",
    }),
}
# multiprocessing start methods that do not exist on Windows.
POSIX_START_METHODS = frozenset({"fork", "forkserver"})
GUARD_EXCEPTIONS = frozenset({
    "ImportError", "ModuleNotFoundError", "AttributeError", "OSError", "Exception",
    "BaseException", "NotImplementedError",
})
PLATFORM_WORDS = ("platform", "os.name", "hasattr", "getattr", "WINDOWS", "POSIX", "IS_WIN")


@dataclass(frozen=True)
class Finding:
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


def _handler_names(handler: ast.ExceptHandler) -> set[str]:
    if handler.type is None:
        return {"BaseException"}
    nodes = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return {n.id if isinstance(n, ast.Name) else getattr(n, "attr", "") for n in nodes}


def _is_guard(node: ast.AST, child: ast.AST) -> bool:
    if isinstance(node, ast.Try) and child in node.body:
        return any(_handler_names(h) & GUARD_EXCEPTIONS for h in node.handlers)
    if isinstance(node, ast.If | ast.IfExp):
        return any(w in ast.unparse(node.test) for w in PLATFORM_WORDS)
    return False


def _guarded(parents: list[ast.AST]) -> bool:
    chain = parents + [None]  # type: ignore[list-item]
    return any(_is_guard(chain[i], chain[i + 1]) for i in range(len(parents) - 1))


def _tests_for_none(tree: ast.AST, name: str) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and isinstance(node.left, ast.Name) \
                and node.left.id == name and any(isinstance(op, ast.Is | ast.IsNot)
                                                 for op in node.ops):
            return True
    return False


def findings(source: str, where: str) -> list[Finding]:
    """Unguarded POSIX-only imports, attributes and start methods in ``source``."""
    tree = ast.parse(source)
    found: list[Finding] = []
    soft_imports: set[str] = set()  # POSIX modules imported under try/except ImportError

    def visit(node: ast.AST, parents: list[ast.AST]) -> None:
        line = f"{where}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""]
            for name in names:
                if name.split(".")[0] in POSIX_MODULES:
                    if _guarded([*parents, node]):
                        soft_imports.add(name.split(".")[0])
                    else:
                        found.append(Finding(line, f"imports {name}, which Windows lacks"))
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            module = node.value.id
            if node.attr in POSIX_ATTRIBUTES.get(module, ()) and not _guarded([*parents, node]):
                found.append(Finding(line, f"uses {module}.{node.attr}, which Windows lacks"))
        elif isinstance(node, ast.Call):
            fn = ast.unparse(node.func)
            if fn.endswith(("set_start_method", "get_context")) and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and arg.value in POSIX_START_METHODS:
                    found.append(Finding(line, f"multiprocessing start method {arg.value!r}"))
        for child in ast.iter_child_nodes(node):
            visit(child, [*parents, node])

    visit(tree, [])
    unchecked = [m for m in soft_imports if not _tests_for_none(tree, m)]
    found += [Finding(where, f"imports {m} softly but never checks it for None")
              for m in unchecked]
    return found


def _sources() -> list[Path]:
    return sorted(p for d in SCANNED for p in (ROOT / d).rglob("*.py")
                  if "__pycache__" not in p.parts)


def test_no_posix_only_call_in_app_or_ui():
    problems = []
    for path in _sources():
        problems += findings(path.read_text("utf-8"), str(path.relative_to(ROOT)))
    assert [str(p) for p in problems] == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import os\nos.fork()\n", "os.fork"),
        ("import fcntl\n", "imports fcntl"),
        ("import signal, os\nos.kill(1, signal.SIGKILL)\n", "signal.SIGKILL"),
        ("import os\nst = os.statvfs('.')\n", "os.statvfs"),
        ("import multiprocessing as mp\nmp.set_start_method('fork')\n", "'fork'"),
        ("try:\n    import fcntl\nexcept ImportError:\n    fcntl = None\nfcntl.flock(1, 2)\n",
         "never checks it for None"),
    ],
)
def test_the_check_catches_posix_only_calls(source, expected):
    """The checker itself must fail on what it is meant to catch."""
    assert any(expected in str(f) for f in findings(source, "x.py"))


@pytest.mark.parametrize(
    "source",
    [
        "try:\n    import fcntl\nexcept ImportError:\n    fcntl = None\n"
        "def lock(fd):\n    if fcntl is None:\n        return\n    fcntl.flock(fd, fcntl.LOCK_EX)\n",
        "import os\ntry:\n    ro = os.statvfs('.').f_flag & os.ST_RDONLY\n"
        "except (OSError, AttributeError):\n    ro = False\n",
        "import os, sys\nif sys.platform != 'win32':\n    os.setsid()\n",
        "import os\nif hasattr(os, 'fork'):\n    os.fork()\n",
        "import os, signal\nos.kill(1, signal.SIGTERM)\n",  # SIGTERM exists on Windows
    ],
)
def test_guarded_uses_pass(source):
    assert findings(source, "x.py") == []
