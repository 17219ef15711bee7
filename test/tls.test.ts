import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createLearnerStateServices, type LearnerStateServices } from "../src/client/index.js";
import { collect } from "./support/clients.js";
import { blockKey, unique } from "./support/fixture.js";
import { startServerProcess, type ServerProcess } from "./support/server-process.js";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const run = promisify(execFile);
const directory = mkdtempSync(path.join(os.tmpdir(), "learnerstate-tls-"));
const file = (name: string) => path.join(directory, name);
const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: directory, stdio: "pipe" });

/** A key and a certificate for `commonName`, signed by the test CA, with `extensions` (an openssl extension file's lines). */
function issue(name: string, commonName: string, extensions: string): void {
  openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${commonName}`);
  writeFileSync(file(`${name}.ext`), extensions);
  openssl("x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", `${name}.crt`, "-days", "2", "-extfile", `${name}.ext`);
}

const serverExtensions = "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n";

beforeAll(() => {
  openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-subj", "/CN=learnerstate test CA", "-days", "2");
  issue("server", "learnerstate server one", serverExtensions);
  issue("client", "lms", "extendedKeyUsage=clientAuth\n");
});
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** The common name on the certificate the server at `port` presents now. */
function presentedName(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", port, ca: readFileSync(file("ca.crt")), ALPNProtocols: ["h2"], servername: "localhost" }, () => {
      const name = socket.getPeerCertificate().subject.CN;
      socket.end();
      resolve(Array.isArray(name) ? name.join(",") : String(name));
    });
    socket.once("error", reject);
  });
}

const course = `course-v1:${unique("Org")}+Tls+2026`;

/** A round trip over `services`: a write, then the read of it. */
async function roundTrip(services: LearnerStateServices): Promise<string | undefined> {
  const username = unique("learner");
  const key = blockKey(course, "problem", "p");
  await services.userState.setMany({ username, updates: [{ blockKey: key, fields: { answer: '"over tls"' } }] });
  const [message] = await collect(services.userState.getMany({ username, blockKeys: [key] }));
  return message?.blockStates[0]?.fields["answer"];
}

const noRetry = { maxAttempts: 1 };

describe("TLS on the service port", () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServerProcess({ DATABASE_URL: inject("databaseUrl"), TLS_CERT_FILE: file("server.crt"), TLS_KEY_FILE: file("server.key") });
  });
  afterAll(async () => expect(await server.stop()).toBe(0));

  it("serves a client that trusts its CA, and no client that does not", async () => {
    const target = `https://127.0.0.1:${server.port}`;
    expect(await roundTrip(createLearnerStateServices({ target, tls: { ca: readFileSync(file("ca.crt")) }, retry: noRetry }))).toBe('"over tls"');
    await expect(roundTrip(createLearnerStateServices({ target, retry: noRetry }))).rejects.toThrow(/unable to verify/u);
    // Plain h2c is not served on a TLS port.
    await expect(roundTrip(createLearnerStateServices({ target: `http://127.0.0.1:${server.port}`, retry: noRetry }))).rejects.toThrow();
  });

  it("serves the export command given the CA file", async () => {
    const username = unique("learner");
    const services = createLearnerStateServices({ target: `https://127.0.0.1:${server.port}`, tls: { ca: readFileSync(file("ca.crt")) }, retry: noRetry });
    const exportCourse = `course-v1:${unique("Org")}+TlsExport+2026`;
    await services.userState.setMany({ username, updates: [{ blockKey: blockKey(exportCourse, "problem", "p"), fields: { answer: '"exported"' } }] });
    const out = file("export.jsonl");
    const cli = path.join(repoRoot, "dist/lib/src/cli/main.js");
    await run(process.execPath, [cli, "export", "--course", exportCourse, "--out", out, "--target", `https://127.0.0.1:${server.port}`, "--ca-file", file("ca.crt")]);
    const lines = readFileSync(out, "utf8").trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ username });
  });

  it("serves a certificate replaced on disk without a restart", async () => {
    expect(await presentedName(server.port)).toBe("learnerstate server one");
    // As certificate managers do: write the new pair beside the old, then rename over it.
    issue("next", "learnerstate server two", serverExtensions);
    renameSync(file("next.key"), file("server.key"));
    renameSync(file("next.crt"), file("server.crt"));
    await expect.poll(() => presentedName(server.port), { timeout: 10_000, interval: 250 }).toBe("learnerstate server two");
    const target = `https://127.0.0.1:${server.port}`;
    expect(await roundTrip(createLearnerStateServices({ target, tls: { ca: readFileSync(file("ca.crt")) }, retry: noRetry }))).toBe('"over tls"');
  });
});

describe("mutual TLS (TLS_CLIENT_CA_FILE)", () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServerProcess({
      DATABASE_URL: inject("databaseUrl"),
      TLS_CERT_FILE: file("server.crt"),
      TLS_KEY_FILE: file("server.key"),
      TLS_CLIENT_CA_FILE: file("ca.crt"),
    });
  });
  afterAll(async () => expect(await server.stop()).toBe(0));

  it("serves a client with a certificate its CA signed, and refuses one without", async () => {
    const target = `https://127.0.0.1:${server.port}`;
    const ca = readFileSync(file("ca.crt"));
    const withCertificate = createLearnerStateServices({ target, tls: { ca, cert: readFileSync(file("client.crt")), key: readFileSync(file("client.key")) }, retry: noRetry });
    expect(await roundTrip(withCertificate)).toBe('"over tls"');
    await expect(roundTrip(createLearnerStateServices({ target, tls: { ca }, retry: noRetry }))).rejects.toThrow();
  });
});
