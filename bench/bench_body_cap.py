"""What a malformed chunked body costs the local platform: its memory before and after, and the answer.

    .venv/bin/python bench/bench_body_cap.py [--mb 96] [--tree DIR]

Starts `python -m infra.whisk` (from `--tree`, default this checkout: point it at an older checkout to
compare), sends `PUT /api/v1/namespaces/_/actions/x` with `Transfer-Encoding: chunked`, a chunk size of `-1`
and then `--mb` MB of body, with the guest key of the data directory (or OpenWhisk's published one when the
platform made none), and prints the platform's peak resident memory (VmHWM) before and after, its VmRSS
after, the status it answered and how much of the body we could send. One JSON line.
"""

from __future__ import annotations

import argparse
import base64
import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from infra.services.process import free_port  # noqa: E402
from infra.whisk.keys import WELL_KNOWN_KEYS, read_keys  # noqa: E402


def memory_mb(pid: int, field: str = "VmHWM") -> float:
    """VmHWM (the peak resident memory so far) or VmRSS of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mb", type=int, default=96)
    parser.add_argument("--tree", type=Path, default=REPO, help="the checkout whose platform to run")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        data, port = Path(tmp) / "whisk", free_port()
        cmd = [sys.executable, "-m", "infra.whisk", "--port", str(port), "--data-dir", str(data)]
        proc = subprocess.Popen(cmd, cwd=args.tree, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                if b"ready on" in line:
                    break
            time.sleep(0.5)
            before = memory_mb(proc.pid)
            key = read_keys(data).get("guest") or WELL_KNOWN_KEYS["guest"]
            basic = base64.b64encode(key.encode()).decode()
            head = (
                "PUT /api/v1/namespaces/_/actions/x HTTP/1.1\r\n"
                f"Host: 127.0.0.1:{port}\r\nAuthorization: Basic {basic}\r\n"
                "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n"
            ).encode()
            sent, status, started = 0, None, time.monotonic()
            with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
                sock.sendall(head)
                piece = b"x" * (1024 * 1024)
                try:
                    for _ in range(args.mb):
                        sock.sendall(piece)
                        sent += len(piece)
                    sock.shutdown(socket.SHUT_WR)
                except OSError:
                    pass  # the platform answered and closed: the rest is never read
                try:
                    answer = sock.recv(200)
                    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else None
                except OSError:
                    status = None
            elapsed = time.monotonic() - started
            time.sleep(0.5)
            after, rss_after = memory_mb(proc.pid), memory_mb(proc.pid, "VmRSS")
        finally:
            proc.terminate()
            proc.wait(10)
    result = {
        "tree": str(args.tree),
        "body_mb": args.mb,
        "sent_mb": round(sent / 1024 / 1024, 1),
        "status": status,
        "seconds": round(elapsed, 2),
        "peak_rss_before_mb": round(before, 1),
        "peak_rss_after_mb": round(after, 1),
        "rss_after_mb": round(rss_after, 1),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
