import { BinaryWriter } from "@bufbuild/protobuf/wire";

/** The AIP-193 error domain of every error this service raises. */
export const errorDomain = "learnerstate";

/** A detail in the raw form ConnectError carries: a type name and its binary encoding. */
export interface RawDetail {
  readonly type: string;
  readonly value: Uint8Array;
}

/**
 * Encodes a `google.rpc.ErrorInfo` (reason = 1, domain = 2, metadata = 3 as a
 * map<string, string>). Written against the wire format, so the contract needs
 * no copy of googleapis' protos; clients decode it with their usual
 * `google.rpc` types.
 */
export function encodeErrorInfo(reason: string, metadata: Readonly<Record<string, string>>): RawDetail {
  const writer = new BinaryWriter();
  writer.tag(1, 2).string(reason);
  writer.tag(2, 2).string(errorDomain);
  for (const [key, value] of Object.entries(metadata)) {
    writer.tag(3, 2).fork().tag(1, 2).string(key).tag(2, 2).string(value).join();
  }
  return { type: "google.rpc.ErrorInfo", value: writer.finish() };
}

/**
 * Encodes a `google.rpc.RetryInfo` whose retry_delay (field 1, a
 * google.protobuf.Duration of seconds = 1 and nanos = 2) is `delayMs`.
 */
export function encodeRetryInfo(delayMs: number): RawDetail {
  const writer = new BinaryWriter();
  writer.tag(1, 2).fork().tag(1, 0).int64(Math.floor(delayMs / 1000)).tag(2, 0).int32((delayMs % 1000) * 1_000_000).join();
  return { type: "google.rpc.RetryInfo", value: writer.finish() };
}
