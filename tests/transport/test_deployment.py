"""The configurations of docs/deployment.md's "Behind nginx or HAProxy", run on loopback:
a real nginx, then a real HAProxy, in front of two ``runbolt`` processes (two
"machines"), with the config files made from the guide's own code blocks (only the
ports, the certificate paths and the second server are changed, and on nginx before
1.25.1 `http2 on;` as the guide says), so the guide and the tests cannot drift apart.
HAProxy's health checks keep the guide's (default) interval.

The client connects from 127.0.0.2, the proxy from 127.0.0.1, the address the servers
trust (``--forwarded-allow-ips`` as the guide starts them): the route must see the
client's address, ``https`` and the public host, however the client tries to fake them.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import support

PROJECT = support.BOLT_PROJECT_DIR
SETTINGS = ("--settings", "boltproj.settings_deploy")
GUIDE = support.REPO_ROOT / "docs" / "deployment.md"
PUBLIC_HOST = "api.example.com"  # the guide's server_name, in ALLOWED_HOSTS
CLIENT_ADDRESS = "127.0.0.2"  # not a trusted proxy
NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
HAPROXY = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/usr/local/sbin")
TIMEOUT = 30.0  # generous: the machine may be busy


def guide_block(language: str) -> str:
    """The one code block of the guide's "Behind nginx or HAProxy" in ``language``."""
    section = GUIDE.read_text().split("## Behind nginx or HAProxy", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(rf"```{language}\n(.*?)```", section, re.S)
    assert len(blocks) == 1, f"expected one ```{language} block in the guide's proxy section"
    return blocks[0]


def replace(text: str, old: str, new: str) -> str:
    """``text`` with ``old`` replaced, failing when the guide no longer has ``old``."""
    assert old in text, f"the guide's config no longer has {old!r}; update this test"
    return text.replace(old, new)


def runbolt_options() -> list[str]:
    """The guide's runbolt command's options beside --host and --port (which the
    test's free ports replace)."""
    command = guide_block("bash").split("runbolt", 1)[1].split()
    options = []
    while command:
        option = command.pop(0)
        if option in ("--host", "--port"):
            command.pop(0)
        else:
            options.append(option)
    assert "--forwarded-allow-ips" in options
    return options


@contextlib.contextmanager
def two_servers() -> Iterator[list[support.ServerProcess]]:
    """Two runbolt servers, each started as the guide starts one."""
    with contextlib.ExitStack() as stack:
        yield [
            stack.enter_context(support.serve_django(PROJECT, *SETTINGS, *runbolt_options()))
            for _ in range(2)
        ]


@pytest.fixture(scope="module")
def backends() -> Iterator[list[support.ServerProcess]]:
    with two_servers() as servers:
        yield servers


@contextlib.contextmanager
def foreground(argv: list[str], port: int, directory: Path) -> Iterator[subprocess.Popen]:
    """Run a proxy in the foreground until its port accepts connections; stop it after."""
    log = (directory / "proxy.log").open("wb")
    process = subprocess.Popen(argv, cwd=directory, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"{argv[0]} exited with {process.returncode}:\n{read(directory)}")
            try:
                support.connect((support.HOST, port), timeout=0.5).close()
                break
            except OSError:
                assert time.monotonic() < deadline, f"no listener on {port}\n{read(directory)}"
                time.sleep(0.05)
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def read(directory: Path) -> str:
    return (directory / "proxy.log").read_text(errors="replace")


def public_client(port: int, certs) -> httpx.Client:
    """A client on another address than the proxy's, naming the public host."""
    verify = ssl.create_default_context(cafile=str(certs.ca))
    return httpx.Client(
        base_url=f"https://{support.HOST}:{port}",
        headers={"host": PUBLIC_HOST},
        transport=httpx.HTTPTransport(local_address=CLIENT_ADDRESS, verify=verify),
        timeout=TIMEOUT,
    )


def wait_until(predicate, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not predicate():
        assert time.monotonic() < deadline, f"not within {TIMEOUT} s: {what}"
        time.sleep(0.1)


def nginx_config(directory: Path, port: int, backends, certs) -> str:
    site = guide_block("nginx")
    site = replace(
        site,
        "    server 127.0.0.1:8000;\n",
        "".join(f"    server 127.0.0.1:{b.port};\n" for b in backends),
    )
    site = replace(site, "listen 443 ssl;", f"listen 127.0.0.1:{port} ssl;")
    version = subprocess.run([NGINX, "-v"], capture_output=True, text=True).stderr
    major, minor, patch = map(int, re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", version).groups())
    if (major, minor, patch) < (1, 25, 1):  # the guide says how: `http2 on` is newer
        site = replace(site, "    http2 on;\n", "")
        site = replace(site, " ssl;", " ssl http2;")
    site = re.sub(r"ssl_certificate +\S+;", f"ssl_certificate {certs.cert};", site)
    site = re.sub(r"ssl_certificate_key +\S+;", f"ssl_certificate_key {certs.key};", site)
    temp = "".join(
        f"    {kind}_temp_path {directory / kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers read the test's files
    return (
        f"{user}worker_processes 1;\npid {directory / 'nginx.pid'};\n"
        f"error_log {directory / 'proxy.log'} warn;\nevents {{}}\n"
        f"http {{\n    access_log off;\n{temp}{site}}}\n"
    )


def haproxy_config(port: int, backends, certs, directory: Path) -> str:
    pem = directory / "server-and-key.pem"  # HAProxy's crt: the chain and the key
    pem.write_text(certs.cert.read_text() + certs.key.read_text())
    config = guide_block("haproxy")
    config = replace(config, "bind :443", f"bind 127.0.0.1:{port}")
    config = re.sub(r"crt \S+", f"crt {pem}", config)
    config = replace(
        config,
        "    server bolt1 127.0.0.1:8000 check\n",
        "".join(
            f"    server bolt{i} 127.0.0.1:{b.port} check\n" for i, b in enumerate(backends, 1)
        ),
    )
    defaults = "defaults\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n"
    return f"global\n    log stderr format raw local0\n{defaults}{config}"


@contextlib.contextmanager
def proxied(kind: str, tmp_path: Path, backends, certs) -> Iterator[httpx.Client]:
    """A client of nginx or HAProxy, configured as the guide says, in front of
    ``backends``."""
    port = support.free_port()
    if kind == "nginx":
        if NGINX is None:
            pytest.skip("nginx is not installed (scripts/setup.sh installs it as root)")
        config = tmp_path / "nginx.conf"
        config.write_text(nginx_config(tmp_path, port, backends, certs))
        argv = [NGINX, "-p", str(tmp_path), "-e", str(tmp_path / "proxy.log")]
        argv += ["-c", str(config), "-g", "daemon off;"]
    else:
        if HAPROXY is None:
            pytest.skip("haproxy is not installed (scripts/setup.sh installs it as root)")
        config = tmp_path / "haproxy.cfg"
        config.write_text(haproxy_config(port, backends, certs, tmp_path))
        argv = [HAPROXY, "-db", "-f", str(config)]
    with foreground(argv, port, tmp_path), public_client(port, certs) as client:
        # Ready when both backends are in rotation (HAProxy: after their first check).
        pids = {b.process.pid for b in backends}
        seen: set[int] = set()
        wait_until(lambda: seen.update(answering(client, 1)) or seen == pids, "both backends")
        yield client


KINDS = ["nginx", "haproxy"]


@pytest.fixture(params=KINDS)
def proxy(request, tmp_path, backends, certs) -> Iterator[httpx.Client]:
    with proxied(request.param, tmp_path, backends, certs) as client:
        yield client


def answering(client: httpx.Client, count: int) -> list[int]:
    """The pids of the servers that answered ``count`` requests through the proxy,
    each of which must succeed."""
    pids = []
    for _ in range(count):
        response = client.get("/deploy/peer")
        assert response.status_code == 200, response.text
        pids.append(response.json()["pid"])
    return pids


def test_requests_reach_both_servers_in_turn(proxy, backends):
    pids = answering(proxy, 8)
    assert set(pids) == {b.process.pid for b in backends}
    # Round robin: neither server answers two requests in a row.
    assert all(a != b for a, b in zip(pids, pids[1:], strict=False)), pids


def test_the_route_sees_the_client_the_scheme_and_the_public_host(proxy):
    # What a client writes itself is replaced or outweighed by what the proxy adds.
    fake = {"x-forwarded-for": "198.51.100.7", "x-forwarded-proto": "http"}
    for headers in ({}, fake, {"forwarded": "for=198.51.100.8;proto=http"}):
        seen = proxy.get("/deploy/peer", headers=headers).json()
        assert seen["client"] == CLIENT_ADDRESS, (headers, seen)
        assert seen["scheme"] == "https", (headers, seen)
        assert seen["host"] == PUBLIC_HOST, (headers, seen)


def test_a_token_made_by_one_server_works_on_the_other(proxy, backends):
    made = proxy.post("/deploy/token")
    assert made.status_code == 200, made.text
    auth = {"authorization": f"Bearer {made.json()['token']}"}
    answered = set()
    for _ in range(4):
        me = proxy.get("/deploy/me", headers=auth)
        assert me.status_code == 200, me.text
        assert me.json()["made_by"] == made.json()["pid"]
        answered.add(me.json()["pid"])
    assert answered == {b.process.pid for b in backends}  # no sticky session needed


@pytest.mark.parametrize("kind", KINDS)
def test_a_server_that_dies_leaves_the_rotation_without_failed_requests(kind, tmp_path, certs):
    """Killed without warning (SIGKILL: no graceful close): every GET still succeeds,
    from the other server, and HAProxy's health check takes the dead one out."""
    with (
        two_servers() as (victim, survivor),
        proxied(kind, tmp_path, [victim, survivor], certs) as client,
    ):
        victim.process.kill()
        victim.process.wait()
        # nginx retries a refused connection on the next server (proxy_next_upstream),
        # a POST too (it never reached the dead server): POSTs first, before nginx has
        # seen that server fail. HAProxy redispatches them (option redispatch) until
        # its check marks the server down.
        for _ in range(4):
            made = client.post("/deploy/token")
            assert made.status_code == 200, made.text
            assert made.json()["pid"] == survivor.process.pid
        assert set(answering(client, 12)) == {survivor.process.pid}
        if kind == "nginx":  # it did try the dead server, and passed the request on
            assert "Connection refused) while connecting to upstream" in read(tmp_path)
        if kind == "haproxy":
            wait_until(lambda: "bolt1 is DOWN" in read(tmp_path), "HAProxy marks bolt1 down")
            assert set(answering(client, 4)) == {survivor.process.pid}


@pytest.mark.parametrize("kind", KINDS)
def test_a_server_restarted_under_load_fails_no_request(kind, tmp_path, certs):
    """A rolling restart: SIGTERM to one server while GETs keep coming; it finishes what
    it has, the proxy sends the rest to the other, and no request fails."""
    with (
        two_servers() as (leaving, staying),
        proxied(kind, tmp_path, [leaving, staying], certs) as client,
    ):
        failures: list[str] = []
        answered: list[int] = []
        stop = threading.Event()

        def load() -> None:
            while not stop.is_set():
                try:
                    response = client.get("/deploy/peer")
                except httpx.HTTPError as error:
                    failures.append(repr(error))
                    continue
                if response.status_code != 200:
                    failures.append(f"{response.status_code} {response.text}")
                else:
                    answered.append(response.json()["pid"])

        worker = threading.Thread(target=load)
        worker.start()
        try:
            wait_until(lambda: leaving.process.pid in answered, "the first server answers")
            leaving.assert_stops_cleanly()
            count = len(answered)
            wait_until(lambda: len(answered) > count + 20, "20 more answers")
        finally:
            stop.set()
            worker.join(TIMEOUT)
        assert not failures, failures[:5]
        assert answered[-20:] == [staying.process.pid] * 20


def test_the_guide_s_kubernetes_probes(backends):
    """The probes as the kubelet sends them (to the pod's address, as its Host unless
    the probe names one): liveness answers whatever the host, readiness with the
    probe's Host header; readiness without it is refused, as the guide warns."""
    section = GUIDE.read_text().split("## Health checks", 1)[1].split("\n## ", 1)[0]
    probes = re.findall(r"```yaml\n(.*?)```", section, re.S)
    assert len(probes) == 1, "expected one Kubernetes block in the guide's Health checks"
    liveness, readiness = probes[0].split("readinessProbe:")
    assert "path: /health" in liveness and "path: /ready" in readiness
    host = re.search(r"\{name: Host, value: ([\w.-]+)\}", readiness).group(1)
    pod = {"host": f"10.1.2.3:{backends[0].port}"}
    with httpx.Client(base_url=backends[0].base_url, timeout=TIMEOUT) as client:
        assert client.get("/health", headers=pod).json() == {"status": "ok"}
        ready = client.get("/ready", headers={"host": host})
        assert ready.status_code == 200, ready.text
        assert ready.json() == {"status": "ok", "databases": {"default": "ok"}}
        assert client.get("/ready", headers=pod).status_code == 400
