// The LMS's own path in the benchmark: bench/python_get_many.py, the Open edX
// drop-in's get_many of 100 problems in series, run with Debian's python3,
// the client from clients/python and the Open edX packages beside the
// checkout (installed from Debian when missing, as the Python tests do).
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const python = "/usr/bin/python3";
const openedxPython = path.resolve(repoRoot, "..", "shared", "openedx-python");
const pythonPath = [path.join(repoRoot, "clients", "python"), openedxPython].join(":");
const debianPackages = ["python3-grpcio", "python3-protobuf", "python3-stevedore", "python3-tz", "python3-fs", "python3-lxml", "python3-mako", "python3-markupsafe", "python3-dateutil", "python3-yaml", "python3-simplejson", "python3-webob", "python3-pymongo", "python3-typing-extensions"];

/** What one run of the drop-in's get_many printed. */
export interface PythonGetManyFigures {
  readonly calls: number;
  readonly wallMsPerCall: number;
  /** The Python process's CPU (user + system) per call. */
  readonly cpuMsPerCall: number;
  readonly states: number;
  readonly fields: number;
}

function canRun(): boolean {
  try {
    execFileSync(python, ["-c", "import grpc, google.protobuf, opaque_keys.edx.keys, xblock.fields, edx_user_state_client.interface"], { env: { ...process.env, PYTHONPATH: pythonPath }, stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Makes sure Debian's python3 can run the drop-in (installing packages when missing); throws with what is missing otherwise. */
export function ensurePythonClient(): void {
  if (!existsSync(openedxPython)) throw new Error(`${openedxPython} is missing: the drop-in needs the shared Open edX packages beside the checkout`);
  if (canRun()) return;
  execFileSync("bash", [path.join(repoRoot, ".ci", "install-debian-packages.sh"), ...debianPackages], { stdio: "inherit" });
  if (!canRun()) throw new Error("python3 still cannot import grpc, protobuf and the Open edX packages");
}

/** Runs `calls` get_many calls of `keys` for `username` against `target` (host:port) after `warmup` unmeasured ones. */
export function runPythonGetMany(target: string, username: string, keys: readonly string[], calls: number, warmup: number): PythonGetManyFigures {
  const output = execFileSync(python, [path.join(repoRoot, "bench", "python_get_many.py"), target, username, String(calls), String(warmup), ...keys], {
    env: { ...process.env, PYTHONPATH: pythonPath },
    encoding: "utf8",
  });
  return JSON.parse(output.trim().split("\n").pop()!) as PythonGetManyFigures;
}
