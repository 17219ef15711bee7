import { readFileSync, unwatchFile, watchFile } from "node:fs";
import type { SecureContextOptions } from "node:tls";

/** Where the service port's TLS material is (PEM files). */
export interface TlsFiles {
  /** The server's certificate chain (TLS_CERT_FILE). */
  readonly certFile: string;
  /** Its private key (TLS_KEY_FILE). */
  readonly keyFile: string;
  /** CA certificates that client certificates must chain to (TLS_CLIENT_CA_FILE); null: clients need none. */
  readonly clientCaFile: string | null;
}

/** The PEM contents of `files`, as `tls.createSecureContext` takes them. Throws when one cannot be read. */
export function readTlsFiles(files: TlsFiles): SecureContextOptions {
  return {
    cert: readFileSync(files.certFile),
    key: readFileSync(files.keyFile),
    ...(files.clientCaFile === null ? {} : { ca: readFileSync(files.clientCaFile) }),
  };
}

/**
 * Calls `changed` with the files' new contents whenever one of them changes
 * on disk (polled every `intervalMs`, which also sees the renames and
 * symlink swaps of certificate managers and Kubernetes secrets), and
 * `failed` when they cannot be read or do not go together (a certificate
 * written before its key, say): the next change tries again. Returns a
 * function that stops watching.
 */
export function watchTlsFiles(
  files: TlsFiles,
  intervalMs: number,
  changed: (contents: SecureContextOptions) => void,
  failed: (error: unknown) => void,
): () => void {
  const paths = [files.certFile, files.keyFile, ...(files.clientCaFile === null ? [] : [files.clientCaFile])];
  const onChange = (current: { mtimeMs: number }, previous: { mtimeMs: number }) => {
    if (current.mtimeMs === previous.mtimeMs) return;
    try {
      changed(readTlsFiles(files));
    } catch (error) {
      failed(error);
    }
  };
  for (const path of paths) watchFile(path, { interval: intervalMs, persistent: false }, onChange);
  return () => paths.forEach((path) => unwatchFile(path, onChange));
}
