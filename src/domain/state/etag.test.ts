import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { etagLength, etagOf } from "./etag.js";

/** The etag's definition, written the obvious way: both numbers as 16 big-endian bytes, base64url. */
function expectedEtag(position: bigint, modified: bigint): string {
  const bytes = Buffer.alloc(16);
  bytes.writeBigInt64BE(position, 0);
  bytes.writeBigInt64BE(modified, 8);
  return bytes.toString("base64url");
}

describe("etagOf", () => {
  it("is both numbers' 16 big-endian bytes in unpadded base64url, whatever their sign and size", () => {
    const edges = [0n, 1n, -1n, 255n, 2n ** 31n - 1n, 2n ** 31n, -(2n ** 31n), 2n ** 32n, 2n ** 53n, 2n ** 63n - 1n, -(2n ** 63n), 1_733_580_000_123_456n];
    const random = Array.from({ length: 2000 }, () => randomBytes(8).readBigInt64BE());
    const values = [...edges, ...random];
    for (let index = 0; index < values.length; index += 1) {
      const position = values[index]!;
      const modified = values[(index * 7 + 3) % values.length]!;
      const etag = etagOf(position, modified);
      expect(etag).toBe(expectedEtag(position, modified));
      expect(etag).toHaveLength(etagLength);
    }
  });
});
