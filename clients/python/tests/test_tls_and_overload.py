"""TLS on the service port, and what the client does when the server is at capacity."""

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.request

from server_fixture import Server, block_key, postgres_admin_url, unique

from learnerstate_client import LearnerStateClient, Overloaded, ResourceExhausted, ServiceUnavailable, tls_credentials

COURSE = "course-v1:PyOrg+Tls+2026"
KEY = block_key(COURSE, "problem", "p")


class Certificates:
    """A test CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl."""

    def __init__(self):
        self.directory = tempfile.mkdtemp(prefix="learnerstate-py-tls-")
        self._openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
                      "-subj", "/CN=learnerstate test CA", "-days", "2")
        self._issue("server", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
        self._issue("client", "extendedKeyUsage=clientAuth\n")

    def path(self, name):
        return os.path.join(self.directory, name)

    def _openssl(self, *args):
        subprocess.run(["openssl", *args], cwd=self.directory, check=True, capture_output=True)

    def _issue(self, name, extensions):
        self._openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", name + ".key", "-out", name + ".csr",
                      "-subj", "/CN=" + name)
        with open(self.path(name + ".ext"), "w", encoding="ascii") as ext:
            ext.write(extensions)
        self._openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", name + ".crt",
                      "-days", "2", "-extfile", name + ".ext")

    def remove(self):
        shutil.rmtree(self.directory, ignore_errors=True)


class TlsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.certificates = Certificates()
        files = {"TLS_CERT_FILE": cls.certificates.path("server.crt"), "TLS_KEY_FILE": cls.certificates.path("server.key")}
        cls.server = Server(env=files)
        cls.mutual = Server(env={**files, "TLS_CLIENT_CA_FILE": cls.certificates.path("ca.crt")})

    @classmethod
    def tearDownClass(cls):
        codes = [cls.server.stop(), cls.mutual.stop()]
        cls.certificates.remove()
        assert codes == [0, 0], codes

    def test_a_client_trusting_the_ca_is_served_and_one_that_does_not_is_refused(self):
        credentials = tls_credentials(self.certificates.path("ca.crt"))
        with LearnerStateClient(self.server.target, credentials=credentials) as client:
            client.set(unique("learner"), KEY, {"answer": "over tls"})
        with LearnerStateClient(self.server.target, timeout=5) as plain:
            with self.assertRaises(ServiceUnavailable):
                plain.get(unique("learner"), KEY)

    def test_with_a_client_ca_only_clients_with_a_certificate_are_served(self):
        ca = self.certificates.path("ca.crt")
        credentials = tls_credentials(ca, self.certificates.path("client.crt"), self.certificates.path("client.key"))
        username = unique("learner")
        with LearnerStateClient(self.mutual.target, credentials=credentials) as client:
            client.set(username, KEY, {"answer": "mutual"})
            self.assertEqual(client.get(username, KEY).state, {"answer": "mutual"})
        with LearnerStateClient(self.mutual.target, credentials=tls_credentials(ca), timeout=5) as anonymous:
            with self.assertRaises(ServiceUnavailable):
                anonymous.get(username, KEY)


@unittest.skipUnless(shutil.which("psql") and postgres_admin_url(), "holding a row lock needs psql and the test PostgreSQL")
class OverloadTest(unittest.TestCase):
    """A server with one database connection, held by a write blocked behind a row lock taken with psql."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server(env={"DB_POOL_SIZE": "1", "ADMISSION_MAX_WAIT_MS": "1"})

    @classmethod
    def tearDownClass(cls):
        assert cls.server.stop() == 0

    def _metric(self, prefix):
        """The sum of the server's metric samples whose name and labels start with ``prefix``."""
        listening = next(json.loads(line) for line in self.server.process.output if line.startswith("{") and '"metricsPort"' in line)
        with urllib.request.urlopen("http://127.0.0.1:{}/metrics".format(listening["metricsPort"])) as response:
            lines = response.read().decode().splitlines()
        return sum(float(line.rsplit(" ", 1)[1]) for line in lines if line.startswith(prefix))

    def test_refused_calls_are_retried_a_bounded_number_of_times_and_end_as_overloaded(self):
        holder = unique("holder")
        with LearnerStateClient(self.server.target) as client:
            client.set(holder, KEY, {"a": 1})
            sql = "begin; select 1 from user_state where username = '{}' for update; select pg_sleep(3); commit;".format(holder)
            locker = subprocess.Popen(["psql", self.server.database.url, "-q", "-c", sql], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.5)
            blocked = threading.Thread(target=lambda: client.set(holder, KEY, {"a": 2}))
            blocked.start()
            deadline = time.monotonic() + 5
            while self._metric('learnerstate_admission_work{state="running"}') < 1 and time.monotonic() < deadline:
                time.sleep(0.05)
            refused_before = self._metric("learnerstate_admission_refused_total")
            with self.assertRaises(Overloaded) as caught:
                client.get(unique("reader"), KEY)
            self.assertEqual(caught.exception.code, "RESOURCE_EXHAUSTED")
            self.assertEqual(caught.exception.reason, "OVERLOADED")
            self.assertIsNotNone(caught.exception.retry_after)
            # gRPC's retry policy: four attempts in all (the budget allows them).
            self.assertEqual(self._metric("learnerstate_admission_refused_total") - refused_before, 4)
            locker.wait(10)
            blocked.join(10)

    def test_a_request_too_large_is_not_retried(self):
        requests_before = self._metric('learnerstate_rpc_requests_total{method="SetMany"}')
        with LearnerStateClient(self.server.target) as client:
            with self.assertRaises(ResourceExhausted) as caught:
                client.set(unique("learner"), KEY, {"big": "x" * (2 * 1024 * 1024)})
        self.assertNotIsInstance(caught.exception, Overloaded)
        self.assertEqual(self._metric('learnerstate_rpc_requests_total{method="SetMany"}') - requests_before, 1)


if __name__ == "__main__":
    unittest.main()
