import { create } from "@bufbuild/protobuf";
import { TimestampSchema, type Timestamp } from "@bufbuild/protobuf/wkt";

/** A `google.protobuf.Timestamp` for microseconds since the epoch, keeping every microsecond. */
export function timestampFromMicros(micros: bigint): Timestamp {
  const seconds = micros / 1_000_000n;
  const remainder = micros % 1_000_000n;
  // Timestamps before 1970 need non-negative nanos with the seconds rounded down.
  return remainder < 0n
    ? create(TimestampSchema, { seconds: seconds - 1n, nanos: Number(remainder + 1_000_000n) * 1000 })
    : create(TimestampSchema, { seconds, nanos: Number(remainder) * 1000 });
}

/** Microseconds since the epoch of a `google.protobuf.Timestamp` (sub-microsecond nanos dropped); null when unset. */
export function microsFromTimestamp(timestamp: Timestamp | undefined): bigint | null {
  if (timestamp === undefined) return null;
  return timestamp.seconds * 1_000_000n + BigInt(Math.floor(timestamp.nanos / 1000));
}
