"""What the tests need around the client: a real learnerstate server process,
a database for it, HS256 tokens, and a TCP proxy that can break connections.

The server is started the way `npm start` starts it (`exec [env NAME=value ...]
node <arguments>` from package.json's start script, run from the repository root; the bundle
it names is written by `npm run build`, which run-tests.sh runs first) with
PORT=0, and its port is
read from its "listening" log line. Its database is, in order:
TEST_DATABASE_URL's server, else the PostgreSQL at 127.0.0.1:5432 if it
answers (a fresh database is created there for each server and dropped
afterwards), else the embedded database in a temporary directory (also
forced by LEARNERSTATE_TEST_EMBEDDED=1).
"""

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(TESTS_DIR)))

LOCAL_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/test"
START_TIMEOUT_SECONDS = 120
STOP_TIMEOUT_SECONDS = 30
# Variables of the developer's shell that would change what the server does.
_SERVER_VARIABLES = ("DATABASE_URL", "LEARNERSTATE_DATA_DIR", "PORT", "HOST", "METRICS_PORT", "JWT_SECRET", "JWT_JWKS_FILE",
                     "JWT_JWKS_URL", "JWT_ISSUER", "JWT_AUDIENCE", "ALLOW_UNAUTHENTICATED_NETWORK", "CATALOG_AUTO_CREATE_ORGS")


def _start_command():
    """The environment and Node's arguments of package.json's start script,
    `exec [env NAME=value ...] node <arguments>`."""
    with open(os.path.join(REPO_ROOT, "package.json"), encoding="utf-8") as package:
        script = json.load(package)["scripts"]["start"]
    match = re.fullmatch(r"exec (?:env ((?:\w+=\S+ )+))?node (.+)", script)
    if match is None:
        raise RuntimeError("package.json's start script is not 'exec [env NAME=value ...] node <arguments>': " + script)
    return dict(re.findall(r"(\w+)=(\S+) ", match.group(1) or "")), match.group(2).split(" ")


def unique(prefix):
    """A name no other test (or run) uses."""
    return "{}_{}".format(prefix, secrets.token_hex(5))


def block_key(course_key, block_type, block_id):
    """The usage key of a block in a `course-v1:` course."""
    return "block-v1:{}+type@{}+block@{}".format(course_key[len("course-v1:"):], block_type, block_id)


# -- PostgreSQL ---------------------------------------------------------------

def _pgadmin(*args):
    return subprocess.run(["node", os.path.join(TESTS_DIR, "pgadmin.mjs"), *args], cwd=REPO_ROOT,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)


_admin_url = None
_admin_url_known = False


def postgres_admin_url():
    """URL of a PostgreSQL server to create databases on, or None to use the embedded database."""
    global _admin_url, _admin_url_known
    if not _admin_url_known:
        given = os.environ.get("TEST_DATABASE_URL")
        if os.environ.get("LEARNERSTATE_TEST_EMBEDDED") == "1":
            _admin_url = None
        elif given:
            _admin_url = given
        else:
            _admin_url = LOCAL_DATABASE_URL if _pgadmin("probe", LOCAL_DATABASE_URL).returncode == 0 else None
        _admin_url_known = True
        sys.stderr.write("learnerstate tests: database: {}\n".format(
            _redact(_admin_url) if _admin_url else "the embedded database in a temporary directory"))
    return _admin_url


def _redact(url):
    parts = urllib.parse.urlsplit(url)
    if parts.password:
        netloc = "{}:***@{}".format(parts.username, parts.hostname + (":{}".format(parts.port) if parts.port else ""))
        return urllib.parse.urlunsplit(parts._replace(netloc=netloc))
    return url


def with_database(url, database):
    return urllib.parse.urlunsplit(urllib.parse.urlsplit(url)._replace(path="/" + database))


def with_host_port(url, host, port):
    parts = urllib.parse.urlsplit(url)
    credentials = parts.netloc.rpartition("@")[0]
    netloc = "{}@{}:{}".format(credentials, host, port) if credentials else "{}:{}".format(host, port)
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


class Database:
    """A database of its own on the test PostgreSQL, or a temporary directory for the embedded one."""

    def __init__(self):
        admin = postgres_admin_url()
        self.url = None
        self.data_dir = None
        self._name = None
        self._admin = admin
        if admin:
            self._name = "learnerstate_py_{}_{}".format(os.getpid(), secrets.token_hex(4))
            result = _pgadmin("create", admin, self._name)
            if result.returncode != 0:
                raise RuntimeError("could not create database {}: {}".format(self._name, result.stdout))
            self.url = with_database(admin, self._name)
        else:
            self.data_dir = tempfile.mkdtemp(prefix="learnerstate-py-")

    def env(self):
        return {"DATABASE_URL": self.url} if self.url else {"LEARNERSTATE_DATA_DIR": self.data_dir}

    def drop(self):
        if self._name:
            _pgadmin("drop", self._admin, self._name)
            self._name = None
        if self.data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            self.data_dir = None


# -- the server ---------------------------------------------------------------

class ServerProcess:
    """The server as `npm start` runs it, on a free port."""

    def __init__(self, env):
        merged = {key: value for key, value in os.environ.items() if key not in _SERVER_VARIABLES}
        merged.update({"PORT": "0", "METRICS_PORT": "0", "HOST": "127.0.0.1", "LOG_LEVEL": "info"})
        merged.update(env)
        start_environment, start_arguments = _start_command()
        merged.update(start_environment)
        self.output = []
        # Notified for every line the reader thread appends to output.
        self._new_output = threading.Condition()
        self._listening = threading.Event()
        self.port = None
        self.process = subprocess.Popen(["node", *start_arguments], cwd=REPO_ROOT, env=merged,
                                        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True, encoding="utf-8", errors="replace")
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not self._listening.wait(0.05):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                self._reader.join(5)
                raise RuntimeError("the server did not start (exit code {}):\n{}".format(self.process.poll(), "\n".join(self.output[-50:])))

    def _read(self):
        for line in self.process.stdout:
            line = line.rstrip("\n")
            with self._new_output:
                self.output.append(line)
                self._new_output.notify_all()
            if self.port is None and line.startswith("{"):
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if str(record.get("msg", "")).startswith("listening") and isinstance(record.get("port"), int):
                    self.port = record["port"]
            if self.port is not None and line.startswith("{") and '"database ready' in line:
                self._listening.set()

    @property
    def target(self):
        return "127.0.0.1:{}".format(self.port)

    def wait_for_output(self, predicate, timeout):
        """Whether a line of output satisfies ``predicate`` within ``timeout`` seconds.

        Output is read on a thread of its own, so a line the server wrote just
        before the client saw its answer may not be in ``output`` yet.
        """
        with self._new_output:
            return self._new_output.wait_for(lambda: any(predicate(line) for line in self.output), timeout)

    def stop(self):
        """SIGTERM, then waits; returns the exit code (killing it if it hangs)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self._reader.join(5)
        return code


class Server:
    """A server with a database of its own; `stop()` ends both and returns the server's exit code."""

    def __init__(self, env=None, database_url=None):
        self.database = None if database_url else Database()
        database_env = {"DATABASE_URL": database_url} if database_url else self.database.env()
        self._env = {**database_env, **(env or {})}
        try:
            self.process = ServerProcess(self._env)
        except Exception:
            if self.database:
                self.database.drop()
            raise

    @property
    def target(self):
        return self.process.target

    def crash_and_restart(self):
        """Kills the server (SIGKILL: no goodbye to its clients) and starts a new one on the same port and database."""
        port = self.process.port
        self.process.process.kill()
        self.process.process.wait()
        self.process.process.stdout.close()
        self.process = ServerProcess({**self._env, "PORT": str(port)})

    def restart(self):
        """Stops the server as a deployment does (SIGTERM: it ends its calls and exits) and starts a new one on
        the same port and database; returns the old one's exit code."""
        port = self.process.port
        code = self.process.stop()
        self.process.process.stdout.close()
        self.process = ServerProcess({**self._env, "PORT": str(port)})
        return code

    def stop(self):
        try:
            return self.process.stop()
        finally:
            if self.database:
                self.database.drop()


def stop_cleanly(server, client):
    """Closes `client` and stops `server` (SIGTERM); fails when the server did not exit 0, with its last output."""
    client.close()
    code = server.stop()
    if code != 0:
        raise AssertionError("the server exited with {} after SIGTERM:\n{}".format(code, "\n".join(server.process.output[-30:])))


def free_port():
    """A loopback port nothing listens on (at the time of the call)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- tokens -------------------------------------------------------------------

def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def mint_token(claims, secret, issuer, audience, expires_in=3600):
    """An HS256 JWT with `claims` plus iss, aud, iat and exp, as an Open edX LMS mints them."""
    now = int(time.time())
    payload = {"iss": issuer, "aud": audience, "iat": now, "exp": now + expires_in, **claims}
    header = {"alg": "HS256", "typ": "JWT"}
    signing_input = "{}.{}".format(_b64url(json.dumps(header, separators=(",", ":")).encode()),
                                   _b64url(json.dumps(payload, separators=(",", ":")).encode()))
    signature = hmac.new(secret.encode(), signing_input.encode("ascii"), hashlib.sha256).digest()
    return "{}.{}".format(signing_input, _b64url(signature))


# -- a TCP proxy that breaks connections on demand ----------------------------

class TcpProxy:
    """Forwards 127.0.0.1:<port> to a target, unless told to refuse, swallow or cut.

    Modes: "forward" (default), "refuse" (accept and close at once, like a
    server that went away) and "blackhole" (accept and never answer).
    `cut_next_connection_after(n)` lets the next connection carry n bytes
    from the target to the client, then drops it. `freeze()` silences the
    open connections without closing them.
    """

    def __init__(self, target_host, target_port):
        self._target = (target_host, target_port)
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self.mode = "forward"
        self.connections = 0
        self.cuts = 0
        self._budget = None
        self._lock = threading.Lock()
        self._sockets = set()
        self._links = set()
        self._closed = False
        threading.Thread(target=self._accept_loop, daemon=True).start()

    @property
    def target(self):
        return "127.0.0.1:{}".format(self.port)

    def cut_next_connection_after(self, nbytes):
        with self._lock:
            self._budget = nbytes

    def cut(self):
        """Drops every open connection and refuses new ones."""
        self.mode = "refuse"
        self._drop_all()

    def restore(self):
        self.mode = "forward"

    def freeze(self):
        """Stops forwarding anything on the open connections, in both directions, and keeps them open:
        a peer gone silent without a reset (a dropped NAT entry, a dead host). New connections are forwarded."""
        with self._lock:
            links = list(self._links)
        for link in links:
            link.frozen = True

    def close(self):
        self._closed = True
        self._drop_all()
        self._listener.close()

    def _drop_all(self):
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            _hard_close(sock)

    def _track(self, sock):
        with self._lock:
            self._sockets.add(sock)

    def _accept_loop(self):
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            client.settimeout(None)
            with self._lock:
                self.connections += 1
                budget, self._budget = self._budget, None
            if self.mode == "refuse":
                _hard_close(client)
                continue
            self._track(client)
            if self.mode == "blackhole":
                threading.Thread(target=_drain, args=(client,), daemon=True).start()
                continue
            try:
                upstream = socket.create_connection(self._target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                _hard_close(client)
                continue
            self._track(upstream)
            link = _Link(client, upstream, self)
            with self._lock:
                self._links.add(link)
            threading.Thread(target=link.pump, args=(client, upstream, None), daemon=True).start()
            threading.Thread(target=link.pump, args=(upstream, client, budget), daemon=True).start()


class _Link:
    def __init__(self, client, upstream, proxy):
        self.sockets = (client, upstream)
        self.proxy = proxy
        self.frozen = False

    def close(self):
        for sock in self.sockets:
            _hard_close(sock)

    def pump(self, source, sink, budget):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if self.frozen:
                    continue
                if budget is not None and len(data) >= budget:
                    sink.sendall(data[:budget])
                    with self.proxy._lock:
                        self.proxy.cuts += 1
                    break
                sink.sendall(data)
                if budget is not None:
                    budget -= len(data)
        except OSError:
            pass
        self.close()


def _drain(sock):
    try:
        while sock.recv(65536):
            pass
    except OSError:
        pass


def _hard_close(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass
