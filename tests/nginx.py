"""The shipped reverse proxy (deploy/nginx.conf), for real, in front of the
test server: tests/test_hostile_input.py (its caps) and
tests/test_public_cache.py (its micro-cache)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def proxy(live_server: Any, tmp_path: Path) -> Iterator[int]:
    """deploy/nginx.conf as shipped, on a loopback port with a throwaway
    certificate, in front of the test server; yields its HTTPS port."""
    nginx, openssl = shutil.which("nginx") or "/usr/sbin/nginx", shutil.which("openssl")
    if not Path(nginx).exists() or openssl is None:
        pytest.skip("nginx or openssl is not installed")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    certificate = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"]
    subprocess.run(  # noqa: S603 - fixed arguments
        [openssl, *certificate, "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    with socket.socket() as a, socket.socket() as b:
        a.bind(("127.0.0.1", 0))
        b.bind(("127.0.0.1", 0))
        https, http = a.getsockname()[1], b.getsockname()[1]
    upstream = urlsplit(live_server.url).port
    site = (ROOT / "deploy" / "nginx.conf").read_text()
    for old, new in [
        ("/etc/letsencrypt/live/help.example.org/fullchain.pem", str(cert)),
        ("/etc/letsencrypt/live/help.example.org/privkey.pem", str(key)),
        ("/var/log/nginx/", f"{tmp_path}/"),
        ("/var/cache/nginx/help-locator", f"{tmp_path}/cache"),
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream};"),
        ("listen [::]:80;", ""),
        ("listen [::]:443 ssl http2;", ""),
        ("listen 80;", f"listen 127.0.0.1:{http};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;"),
    ]:
        assert old in site, old
        site = site.replace(old, new)
    (tmp_path / "site.conf").write_text(site)
    kinds = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    temp = " ".join(f"{kind}_temp_path {tmp_path}/{kind};" for kind in kinds)
    (tmp_path / "nginx.conf").write_text(
        f"daemon off; master_process off; pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;\n"
        f"events {{}}\nhttp {{ {temp} include {tmp_path}/site.conf; }}\n"
    )
    command = [nginx, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")]
    server = subprocess.Popen(command, stderr=subprocess.PIPE)  # noqa: S603 - fixed arguments
    try:
        for _ in range(100):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", https)) == 0:
                    break
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            time.sleep(0.05)
        yield https
    finally:
        server.terminate()
        server.wait(timeout=10)
