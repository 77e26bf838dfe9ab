"""nginx (the Debian package) in front of several APIs on localhost: the config the cluster fault
test runs, written from the template below. What it retries is the production rule (docs/
reliability.md, "Several APIs and workers"): a request goes to the next API on a connection error,
a timeout, a 502 or a 503, but a POST only when it never reached the first API (nginx's
default without `non_idempotent`). A POST the killed API had already received is answered
502 and retried by the client itself: reports with their Idempotency-Key, actions after a read."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

TEMPLATE = """\
daemon off;
{user}
worker_processes 1;
pid {root}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {root}/temp/body;
    proxy_temp_path {root}/temp/proxy;
    fastcgi_temp_path {root}/temp/fastcgi;
    uwsgi_temp_path {root}/temp/uwsgi;
    scgi_temp_path {root}/temp/scgi;
    client_max_body_size 20m;
    client_body_buffer_size 1m;
    upstream gridflow_api {{
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://gridflow_api;
            proxy_http_version 1.1;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_next_upstream error timeout http_502 http_503;
            proxy_next_upstream_tries 2;
            proxy_connect_timeout 2s;
            proxy_read_timeout 60s;
        }}
    }}
}}
"""


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "")
    assert found, (
        "nginx is not installed: `bash scripts/test.sh` installs it (apt-get install nginx)"
    )
    return found


def write_config(root: Path, *, port: int, api_ports: list[int]) -> Path:
    """The config file for nginx on `port` in front of the APIs on `api_ports`."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "temp").mkdir(exist_ok=True)
    # A killed API is left alone for 10 s after one failure: the survivor takes everything.
    servers = "\n".join(
        f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;" for p in api_ports
    )
    # As root nginx's workers would run as nobody, who cannot enter the test's private temp dir.
    user = "user root;" if os.geteuid() == 0 else ""
    path = root / "nginx.conf"
    path.write_text(TEMPLATE.format(user=user, root=root, port=port, servers=servers))
    return path


def argv(config: Path) -> list[str]:
    return [nginx_binary(), "-p", str(config.parent), "-c", str(config)]
