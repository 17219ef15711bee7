import type { ServerHttp2Stream } from "node:http2";
import { promisify } from "node:util";
import zlib from "node:zlib";
import { Code, ConnectError } from "@connectrpc/connect";

const gunzip = promisify(zlib.gunzip);
const gzip = promisify(zlib.gzip);

/** The message encodings the gRPC path reads and writes, as `grpc-accept-encoding` lists them. */
export const acceptedEncodings = "gzip";

/** The 5-byte prefix of a gRPC message: a compressed flag and the length. */
const prefixBytes = 5;

/**
 * Whether `encoding` (a request's `grpc-encoding`, absent or `identity` for
 * none) is one the gRPC path can read; an error (UNIMPLEMENTED, as gRPC asks)
 * otherwise.
 */
export function checkRequestEncoding(encoding: string | undefined): ConnectError | null {
  if (encoding === undefined || encoding === "identity" || encoding === "gzip") return null;
  return new ConnectError(`unsupported message encoding ${JSON.stringify(encoding.slice(0, 50))}; supported: ${acceptedEncodings}`, Code.Unimplemented);
}

/**
 * Reads the one request message of a unary or server-streaming call from
 * `stream`, up to its end: the bytes of the message, decompressed when its
 * flag says so (with `encoding`, checked by {@link checkRequestEncoding}).
 * Rejects with RESOURCE_EXHAUSTED, before reading the rest, for a message
 * longer than `maxBytes` (compressed or not), and with INVALID_ARGUMENT for
 * no message, a cut one, or a second one; with CANCELED when the client
 * resets the call before its request is complete.
 */
export function readRequestMessage(stream: ServerHttp2Stream, maxBytes: number, encoding: string | undefined): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    let chunks: Buffer[] = [];
    let received = 0;
    let length = -1;
    let compressed = false;
    const fail = (error: ConnectError) => {
      stream.off("data", onData);
      stream.off("end", onEnd);
      stream.pause();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (length < 0 && received >= prefixBytes) {
        const head = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
        chunks = [head];
        compressed = (head[0]! & 1) === 1;
        length = head.readUInt32BE(1);
        if (length > maxBytes) fail(tooLarge(length, maxBytes));
      }
    };
    const onEnd = () => {
      stream.off("data", onData);
      if (length < 0 || received < prefixBytes + length) {
        // A reset also ends the request, and the stream aborts right after:
        // wait to see which it was (see onAborted).
        const cutShort = new ConnectError(length < 0 ? "the call carried no request message" : "the request message was cut short", Code.InvalidArgument);
        setTimeout(() => reject(cutShort), resetGraceMs);
        return;
      }
      if (received > prefixBytes + length) {
        reject(new ConnectError("a second request message came for a method that takes one", Code.InvalidArgument));
        return;
      }
      const whole = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received);
      const message = whole.subarray(prefixBytes, prefixBytes + length);
      if (!compressed) {
        resolve(message);
        return;
      }
      if (encoding !== "gzip") {
        reject(new ConnectError("a compressed request message came without grpc-encoding", Code.Internal));
        return;
      }
      gunzip(message, { maxOutputLength: maxBytes }).then(resolve, (error: unknown) =>
        reject(
          (error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE"
            ? tooLarge(maxBytes + 1, maxBytes)
            : new ConnectError("the request message is not valid gzip", Code.InvalidArgument, undefined, undefined, error),
        ),
      );
    };
    // A client that resets its call before the request is complete cancelled
    // it, and sent nothing wrong. (Once the request is read, this rejects nothing.)
    const onAborted = () => reject(new ConnectError("the client reset the call before its request was complete", Code.Canceled));
    stream.on("data", onData);
    stream.once("end", onEnd);
    stream.once("aborted", onAborted);
  });
}

// How long an incomplete request waits to see whether it was reset before it is called malformed.
const resetGraceMs = 50;

function tooLarge(bytes: number, maxBytes: number): ConnectError {
  return new ConnectError(`message size ${bytes} is larger than configured readMaxBytes ${maxBytes}`, Code.ResourceExhausted);
}

/**
 * A response message framed for the wire: its prefix and bytes.
 * RESOURCE_EXHAUSTED for a message longer than `maxBytes`.
 */
export function frameResponse(message: Uint8Array, maxBytes: number): Buffer {
  checkResponseSize(message, maxBytes);
  return framed(message, false);
}

/** {@link frameResponse}, gzipped. */
export async function frameCompressedResponse(message: Uint8Array, maxBytes: number): Promise<Buffer> {
  checkResponseSize(message, maxBytes);
  return framed(await gzip(message), true);
}

/** The 5-byte prefix of an uncompressed response message of `length` bytes, to be followed by its bytes. RESOURCE_EXHAUSTED above `maxBytes`. */
export function framePrefix(length: number, maxBytes: number): Buffer {
  checkResponseLength(length, maxBytes);
  const prefix = Buffer.allocUnsafe(prefixBytes);
  prefix[0] = 0;
  prefix.writeUInt32BE(length, 1);
  return prefix;
}

function checkResponseSize(message: Uint8Array, maxBytes: number): void {
  checkResponseLength(message.length, maxBytes);
}

function checkResponseLength(length: number, maxBytes: number): void {
  if (length > maxBytes) throw new ConnectError(`message size ${length} is larger than configured writeMaxBytes ${maxBytes}`, Code.ResourceExhausted);
}

function framed(body: Uint8Array, compressed: boolean): Buffer {
  const frame = Buffer.allocUnsafe(prefixBytes + body.length);
  frame[0] = compressed ? 1 : 0;
  frame.writeUInt32BE(body.length, 1);
  frame.set(body, prefixBytes);
  return frame;
}
