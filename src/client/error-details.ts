import type { ConnectError } from "@connectrpc/connect";
import { BinaryReader } from "@bufbuild/protobuf/wire";

/** The `google.rpc.ErrorInfo` of a failed call: its stable reason, domain and metadata. */
export interface ErrorInfo {
  readonly reason: string;
  readonly domain: string;
  readonly metadata: Readonly<Record<string, string>>;
}

/** What the server attached to a failed call, read from its raw details. */
export interface ErrorDetails {
  readonly errorInfo: ErrorInfo | undefined;
  /** The delay a `google.rpc.RetryInfo` asks for, in milliseconds. */
  readonly retryDelayMs: number | undefined;
}

/** The raw bytes of the first detail of `error` whose type is `typeName`. */
function rawDetail(error: ConnectError, typeName: string): Uint8Array | undefined {
  for (const detail of error.details) {
    if ("type" in detail && detail.type === typeName && detail.value instanceof Uint8Array) return detail.value;
  }
  return undefined;
}

/** Decodes ErrorInfo (reason = 1, domain = 2, metadata = 3 as map<string, string>) from the wire format. */
function decodeErrorInfo(bytes: Uint8Array): ErrorInfo {
  const reader = new BinaryReader(bytes);
  let reason = "";
  let domain = "";
  const metadata: Record<string, string> = {};
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1) reason = reader.string();
    else if (field === 2) domain = reader.string();
    else if (field === 3) {
      const entry = new BinaryReader(reader.bytes());
      let key = "";
      let value = "";
      while (entry.pos < entry.len) {
        const [entryField, entryWireType] = entry.tag();
        if (entryField === 1) key = entry.string();
        else if (entryField === 2) value = entry.string();
        else entry.skip(entryWireType);
      }
      metadata[key] = value;
    } else reader.skip(wireType);
  }
  return { reason, domain, metadata };
}

/** Decodes RetryInfo's retry_delay (field 1, a Duration of seconds = 1 and nanos = 2) into milliseconds. */
function decodeRetryDelayMs(bytes: Uint8Array): number {
  const reader = new BinaryReader(bytes);
  let delayMs = 0;
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field !== 1) {
      reader.skip(wireType);
      continue;
    }
    const duration = new BinaryReader(reader.bytes());
    while (duration.pos < duration.len) {
      const [durationField, durationWireType] = duration.tag();
      if (durationField === 1) delayMs += Number(duration.int64()) * 1000;
      else if (durationField === 2) delayMs += duration.int32() / 1_000_000;
      else duration.skip(durationWireType);
    }
  }
  return delayMs;
}

/**
 * The ErrorInfo and RetryInfo of `error`. A malformed detail is ignored
 * rather than hiding the error it came with.
 */
export function errorDetailsOf(error: ConnectError): ErrorDetails {
  const decode = <T>(typeName: string, decoder: (bytes: Uint8Array) => T): T | undefined => {
    const bytes = rawDetail(error, typeName);
    if (bytes === undefined) return undefined;
    try {
      return decoder(bytes);
    } catch {
      return undefined;
    }
  };
  return { errorInfo: decode("google.rpc.ErrorInfo", decodeErrorInfo), retryDelayMs: decode("google.rpc.RetryInfo", decodeRetryDelayMs) };
}
