"""What the gateway tests run the rendered Nginx against, all on loopback and unprivileged:
upstreams that echo what they received, a DNS server standing in for Docker's, and Nginx
itself from a temporary prefix (its pid, buffers and config in the test's directory)."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import dns.message
import dns.rcode
import dns.rrset

from local.deploy.gateway import nginx_conf
from local.embedded import free_port


@dataclass
class Received:
    port: int
    method: str
    target: str
    headers: list[tuple[str, str]]

    def header(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key == name.lower()]


@dataclass
class Echo:
    """HTTP/1.1 upstreams, one loopback port each, that keep connections alive unless asked to
    close and answer every request with 200 and what they received. They count the
    connections they accept."""

    ports: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    connections: Counter[int] = field(default_factory=Counter)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        port = writer.get_extra_info("sockname")[1]
        self.connections[port] += 1
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
                request_line, *lines = head.split("\r\n")
                method, target, _ = request_line.split(" ", 2)
                headers = [
                    (name.strip().lower(), value.strip())
                    for name, _, value in (line.partition(":") for line in lines if line)
                ]
                length = int(dict(headers).get("content-length", "0"))
                await reader.readexactly(length)
                received = Received(port, method, target, headers)
                self.received.append(received)
                body = json.dumps({"target": target, "port": port}).encode()
                # As any HTTP/1.1 server: `Connection: close` from the client ends it.
                closing = received.header("connection") == ["close"]
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\n%s\r\n%s"
                    % (len(body), b"Connection: close\r\n" if closing else b"", body)
                )
                await writer.drain()
                if closing:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@contextmanager
def echo_upstreams(count: int) -> Iterator[Echo]:
    echo = Echo()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start() -> list[asyncio.Server]:
        return [await asyncio.start_server(echo._serve, "127.0.0.1", 0) for _ in range(count)]

    servers = asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    echo.ports = [server.sockets[0].getsockname()[1] for server in servers]
    try:
        yield echo
    finally:

        async def stop() -> None:
            for server in servers:
                server.close()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


@dataclass
class Resolver:
    """A DNS server on a loopback UDP port answering A queries for `names` (127.0.0.1) and
    NXDOMAIN for any other, as Docker's embedded DNS does for a service that is not running."""

    address: str
    names: set[str]


@contextmanager
def dns_server() -> Iterator[Resolver]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.2)
    resolver = Resolver(f"127.0.0.1:{sock.getsockname()[1]}", set())
    stopping = threading.Event()

    def serve() -> None:
        while not stopping.is_set():
            try:
                data, peer = sock.recvfrom(4096)
            except TimeoutError:
                continue
            query = dns.message.from_wire(data)
            answer = dns.message.make_response(query)
            question = query.question[0]
            name = question.name.to_text().rstrip(".")
            if name in resolver.names:
                answer.answer.append(dns.rrset.from_text(question.name, 1, "IN", "A", "127.0.0.1"))
            else:
                answer.set_rcode(dns.rcode.NXDOMAIN)
            sock.sendto(answer.to_wire(), peer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield resolver
    finally:
        stopping.set()
        thread.join(5)
        sock.close()


def nginx_binary() -> str:
    # Unprivileged users often lack /usr/sbin in PATH.
    binary = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    assert binary, "nginx is needed (make test installs it)"
    return binary


def write_config(directory: Path, files: dict[str, str], listen_port: int) -> Path:
    """The gateway's main config, listening on a loopback port with its buffers in
    `directory`, beside the given `eventmanager/*.conf` files."""
    temp = directory / "temp"
    temp.mkdir(parents=True, exist_ok=True)
    (directory / "eventmanager").mkdir(exist_ok=True)
    config = directory / "nginx.conf"
    config.write_text(nginx_conf(listen=f"127.0.0.1:{listen_port}", temp_dir=str(temp)))
    for path, content in files.items():
        (directory / path).write_text(content)
    return config


def command(directory: Path, *, foreground: bool = False) -> list[str]:
    directives = f"pid {directory / 'nginx.pid'};" + (" daemon off;" if foreground else "")
    config = str(directory / "nginx.conf")
    return [nginx_binary(), "-p", str(directory), "-c", config, "-g", directives]


def check(directory: Path) -> subprocess.CompletedProcess[str]:
    """`nginx -t`: also resolves the host names of `upstream` servers, as a start would."""
    return subprocess.run([*command(directory), "-t"], capture_output=True, text=True, check=False)


@dataclass
class Gateway:
    url: str
    process: subprocess.Popen[bytes]


@contextmanager
def running_gateway(directory: Path, files: dict[str, str]) -> Iterator[Gateway]:
    port = free_port()
    write_config(directory, files, port)
    checked = check(directory)
    assert checked.returncode == 0, checked.stderr
    log = (directory / "nginx.log").open("wb")
    process = subprocess.Popen(
        command(directory, foreground=True), stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            assert process.poll() is None, (directory / "nginx.log").read_text()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "nginx did not listen"
                time.sleep(0.05)
        yield Gateway(f"http://127.0.0.1:{port}", process)
    finally:
        process.terminate()
        process.wait(15)
        log.close()
