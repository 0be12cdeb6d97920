"""The sandbox's child process (run as a script by :mod:`xlam.tools.sandbox`; stdlib only).

Protocol: one JSON payload on stdin ``{"sys_path", "tmpdir", "limits", "calls": [{"name",
"arguments", "kind", "target", "endpoint"}]}``; one JSON line per event on the protocol fd
(``{"i", "event": "start"}`` then ``{"i", "event": "result", "ok", "value", "error_class",
"message", "seconds", "lossy", "stdout"}``). Tool prints are captured, not mixed into the protocol.

Guards installed before any tool is imported:
- ``sys.addaudithook``: network operations (connect, bind, sendto, getaddrinfo...) raise
  ``NetworkDenied`` unless allowed; opens for writing, removes, renames, mkdirs outside the temp
  dir raise ``FilesystemDenied``; subprocess/exec/fork raise ``ProcessDenied``;
- ``socket.socket`` / ``socket.create_connection`` patched to refuse Internet sockets;
- ``resource.setrlimit``: RLIMIT_AS (memory) and RLIMIT_CPU (per call soft limit; SIGXCPU is
  turned into ``CpuLimitExceeded``; the hard limit kills a call stuck in C code).
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import decimal
import enum
import io
import json
import math
import os
import resource
import signal
import sys
import time
import traceback
import uuid
from typing import Any

_STATE: dict[str, Any] = {"network": 0, "filesystem": 0, "process": 0}


class NetworkDenied(PermissionError):
    """A network operation in a sandbox without network."""


class FilesystemDenied(PermissionError):
    """A write outside the sandbox's temp dir."""


class ProcessDenied(PermissionError):
    """A subprocess, exec or fork inside the sandbox."""


class CpuLimitExceeded(BaseException):
    """The call used more CPU seconds than allowed (BaseException: tools rarely swallow it)."""


_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_FS_EVENTS = {
    "os.remove",
    "os.rename",
    "os.mkdir",
    "os.rmdir",
    "shutil.rmtree",
    "os.truncate",
    "os.chmod",
    "os.chown",
    "os.symlink",
    "os.link",
    "os.utime",
    "shutil.move",
    "shutil.copyfile",
}
_PROC_EVENTS = {
    "subprocess.Popen",
    "os.system",
    "os.exec",
    "os.posix_spawn",
    "os.spawn",
    "os.fork",
    "os.forkpty",
    "pty.spawn",
    "os.kill",
    "os.killpg",
}
_NET_EVENTS = {
    "socket.connect",
    "socket.bind",
    "socket.sendto",
    "socket.sendmsg",
    "socket.getaddrinfo",
    "socket.gethostbyname",
    "socket.gethostbyaddr",
    "socket.gethostbyname_ex",
    "socket.getnameinfo",
}
_ALLOWED_WRITE_PATHS = ("/dev/null",)


def _install_guards(tmpdir: str, allow_network: bool, allow_hosts: list[str]) -> None:
    import socket

    root = os.path.realpath(tmpdir)
    hosts = {_host_of(entry) for entry in allow_hosts if entry.strip()}

    def inside(path: Any) -> bool:
        if isinstance(path, int):  # fd-based operations: the fd was opened under the same hook
            return True
        try:
            real = os.path.realpath(os.fsdecode(path))
        except (TypeError, ValueError):
            return False
        return real == root or real.startswith(root + os.sep) or real in _ALLOWED_WRITE_PATHS

    resolved: set[str] = set()
    resolving: list[bool] = []

    def remember_addresses(host: str) -> None:
        """Resolve an allowed host once so connects to its addresses are allowed too."""
        if resolving:
            return
        resolving.append(True)
        try:
            resolved.update(str(info[4][0]) for info in socket.getaddrinfo(host, None))
        except OSError:
            pass
        finally:
            resolving.pop()

    def net_allowed(event: str, args: tuple[Any, ...]) -> bool:
        if allow_network:
            return True
        if event in ("socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg"):
            if getattr(args[0], "family", None) == getattr(socket, "AF_UNIX", -1):
                return True
            address = args[1] if len(args) > 1 else None
            host = str(address[0] if isinstance(address, tuple) and address else address)
            return host in hosts or host in resolved
        host_arg = args[0] if args else None
        host = str(host_arg[0] if isinstance(host_arg, tuple) and host_arg else host_arg)
        if host in hosts:
            if event == "socket.getaddrinfo":
                remember_addresses(host)
            return True
        return bool(resolving) or host in resolved

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event == "open":
            path, mode, flags = args
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & _WRITE_FLAGS
            )
            if writing and path is not None and not inside(path):
                _STATE["filesystem"] += 1
                raise FilesystemDenied(f"sandbox: writing {path!r} outside the temp dir is not allowed")
        elif event in _FS_EVENTS:
            for path in args[:2]:
                if isinstance(path, str | bytes | os.PathLike) and not inside(path):
                    _STATE["filesystem"] += 1
                    raise FilesystemDenied(
                        f"sandbox: {event} on {path!r} outside the temp dir is not allowed"
                    )
        elif event in _PROC_EVENTS or event.startswith("os.exec") or event.startswith("os.spawn"):
            if event in ("os.kill", "os.killpg") and args and args[0] == os.getpid():
                return
            _STATE["process"] += 1
            raise ProcessDenied(f"sandbox: {event} is not allowed")
        elif event in _NET_EVENTS and not net_allowed(event, args):
            _STATE["network"] += 1
            raise NetworkDenied(f"sandbox: network access ({event}) is not allowed")

    sys.addaudithook(hook)

    if not allow_network and not hosts:
        base = socket.socket

        class _GuardedSocket(base):  # type: ignore[valid-type, misc]
            def __init__(self, family: Any = -1, *a: Any, **kw: Any) -> None:
                internet = family in (-1, socket.AF_INET, socket.AF_INET6)
                if internet and kw.get("fileno") is None and len(a) < 3:
                    _STATE["network"] += 1
                    raise NetworkDenied("sandbox: creating an Internet socket is not allowed")
                super().__init__(family, *a, **kw)

        def _denied_connection(*_a: Any, **_kw: Any) -> Any:
            _STATE["network"] += 1
            raise NetworkDenied("sandbox: socket.create_connection is not allowed")

        socket.socket = _GuardedSocket  # type: ignore[misc]
        socket.create_connection = _denied_connection


def _host_of(entry: str) -> str:
    """The host of an allow-list entry: a base URL (``http://h:8000/api``), ``h:8000`` or ``h``."""
    from urllib.parse import urlsplit

    entry = entry.strip()
    if "://" in entry:
        return urlsplit(entry).hostname or ""
    if entry.startswith("["):  # [::1]:8000
        return entry[1:].split("]", 1)[0]
    return entry.rsplit(":", 1)[0] if entry.count(":") == 1 else entry


def to_json(value: Any, depth: int = 0) -> tuple[Any, bool]:
    """A JSON-safe copy of ``value`` and whether anything had to fall back to ``repr``."""
    if depth > 50:
        return repr(value), True
    if value is None or isinstance(value, bool | str):
        return value, False
    if isinstance(value, int):
        return value, False
    if isinstance(value, float):
        return (value, False) if math.isfinite(value) else (repr(value), True)
    if isinstance(value, enum.Enum):
        return to_json(value.value, depth + 1)
    if hasattr(value, "tolist") and callable(value.tolist) and type(value).__module__.startswith("numpy"):
        return to_json(value.tolist(), depth + 1)
    if hasattr(value, "item") and callable(value.item) and type(value).__module__.startswith("numpy"):
        return to_json(value.item(), depth + 1)
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        lossy = False
        for k, v in value.items():
            key = (
                k
                if isinstance(k, str)
                else (str(k) if isinstance(k, int | float | bool) or k is None else repr(k))
            )
            out[key], sub = to_json(v, depth + 1)
            lossy = lossy or sub or (not isinstance(k, str | int | float | bool) and k is not None)
        return out, lossy
    if isinstance(value, list | tuple):
        items = [to_json(v, depth + 1) for v in value]
        return [i[0] for i in items], any(i[1] for i in items)
    if isinstance(value, set | frozenset):
        items = [to_json(v, depth + 1) for v in value]
        vals = [i[0] for i in items]
        try:
            vals = sorted(vals)
        except TypeError:
            vals = sorted(vals, key=repr)
        return vals, any(i[1] for i in items)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat(), False
    if isinstance(value, datetime.timedelta):
        return value.total_seconds(), False
    if isinstance(value, decimal.Decimal):
        return (int(value) if value == value.to_integral_value() else float(value)), False
    if isinstance(value, uuid.UUID):
        return str(value), False
    if isinstance(value, bytes | bytearray):
        try:
            return bytes(value).decode("utf-8"), False
        except UnicodeDecodeError:
            return base64.b64encode(bytes(value)).decode(), True
    if isinstance(value, complex):
        return [value.real, value.imag], True
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_json(dataclasses.asdict(value), depth + 1)
    if hasattr(value, "model_dump") and callable(value.model_dump):
        return to_json(value.model_dump(mode="json"), depth + 1)
    return repr(value), True


def _classify(exc: BaseException) -> str:
    if isinstance(exc, MemoryError):
        return "memory"
    if isinstance(exc, CpuLimitExceeded):
        return "cpu"
    if isinstance(exc, NetworkDenied) or type(exc).__name__ == "NetworkDenied" or _STATE["network"]:
        return "network_denied"
    if isinstance(exc, FilesystemDenied) or _STATE["filesystem"]:
        return "filesystem_denied"
    if isinstance(exc, ProcessDenied) or _STATE["process"]:
        return "process_denied"
    return f"exception:{type(exc).__name__}"


def _resolve_callable(call: dict[str, Any], allow_hosts: list[str]) -> Any:
    import importlib

    if call.get("kind") == "rest":
        from xlam.tools import rest

        endpoint = call.get("endpoint") or {}
        return lambda **kwargs: rest.invoke(endpoint, kwargs, allow_hosts)
    module_name, _, attr = str(call.get("target", "")).partition(":")
    obj: Any = importlib.import_module(module_name)  # plugin loading: the tool's ``module:attr`` target
    for part in attr.split("."):
        obj = getattr(obj, part)
    if not callable(obj):
        raise TypeError(f"{call.get('target')} is not callable")
    return obj


def main() -> None:
    payload = json.loads(sys.stdin.buffer.read())
    sys.path[:] = [p for p in payload["sys_path"] if p] + [
        p for p in sys.path if p not in payload["sys_path"]
    ]
    sys.dont_write_bytecode = True
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # C-level writes to stdout go to the stderr log, never into the protocol
    limits = payload["limits"]
    tmpdir = payload["tmpdir"]
    os.chdir(tmpdir)
    os.environ["HOME"] = os.environ["TMPDIR"] = tmpdir
    if limits.get("memory_mb"):
        cap = int(limits["memory_mb"]) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    cpu = float(limits.get("cpu_seconds") or 0)
    if cpu:
        budget = (
            math.ceil(cpu) * (len(payload["calls"]) + 1)
            + int(resource.getrusage(resource.RUSAGE_SELF).ru_utime)
            + 5
        )
        resource.setrlimit(resource.RLIMIT_CPU, (budget, budget + 2))

        def on_xcpu(_signum: int, _frame: Any) -> None:
            raise CpuLimitExceeded(f"CPU time limit of {cpu:g}s exceeded")

        signal.signal(signal.SIGXCPU, on_xcpu)
    allow_hosts = list(limits.get("allow_hosts") or [])
    _install_guards(tmpdir, bool(limits.get("allow_network")), allow_hosts)

    def emit(obj: dict[str, Any]) -> None:
        proto.write(json.dumps(obj) + "\n")
        proto.flush()

    for index, call in enumerate(payload["calls"]):
        emit({"i": index, "event": "start"})
        for key in _STATE:
            _STATE[key] = 0
        captured = io.StringIO()
        real_stdout = sys.stdout
        sys.stdout = captured
        start = time.perf_counter()
        result: dict[str, Any] = {"i": index, "event": "result"}
        try:
            if cpu:
                used = (
                    resource.getrusage(resource.RUSAGE_SELF).ru_utime
                    + resource.getrusage(resource.RUSAGE_SELF).ru_stime
                )
                _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
                resource.setrlimit(resource.RLIMIT_CPU, (min(hard - 1, math.ceil(used + cpu)), hard))
            try:
                fn = _resolve_callable(call, allow_hosts)
            except Exception as exc:
                result.update(
                    ok=False, value=None, error_class="not_executable", message=f"{type(exc).__name__}: {exc}"
                )
            else:
                value = fn(**call.get("arguments", {}))
                safe, lossy = to_json(value)
                result.update(ok=True, value=safe, error_class=None, message="", lossy=lossy)
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                raise
            tb = traceback.extract_tb(exc.__traceback__)
            where = f" at {tb[-1].filename.rsplit('/', 1)[-1]}:{tb[-1].lineno}" if tb else ""
            result.update(
                ok=False,
                value=None,
                error_class=_classify(exc),
                message=f"{type(exc).__name__}: {exc}"[:2000] + where,
            )
        finally:
            sys.stdout = real_stdout
        result["seconds"] = time.perf_counter() - start
        result["stdout"] = captured.getvalue()[-4000:]
        try:
            emit(result)
        except (TypeError, ValueError):
            emit({**result, "value": repr(result.get("value")), "lossy": True})
    proto.close()


if __name__ == "__main__":
    main()
