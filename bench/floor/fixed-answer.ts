// The DescribeKey answer every minimal server sends: the service's own answer
// for the request the floor benchmark sends, so that every server puts the
// same bytes on the wire.
import { create, toBinary } from "@bufbuild/protobuf";
import { DescribeKeyRequestSchema, DescribeKeyResponseSchema, KeyFamily } from "../../gen/learnerstate/v1/key_service_pb.js";
import { createKeyService } from "../../src/rpc/index.js";

/** The key every call of the floor benchmark describes. */
export const floorKey = "block-v1:edX+DemoX+2026+type@problem+block@q1";

/** The DescribeKey request of the floor benchmark. */
export const floorRequest = create(DescribeKeyRequestSchema, { key: floorKey, family: KeyFamily.USAGE });

/** The service's answer to {@link floorRequest}, as a message and as bytes. */
export async function fixedAnswer() {
  const message = await createKeyService().describeKey(floorRequest, undefined as never);
  const response = create(DescribeKeyResponseSchema, message);
  return { message: response, bytes: toBinary(DescribeKeyResponseSchema, response) };
}

/** Port from the command line: `node server.js <port>`. */
export function portArgument(): number {
  const port = Number(process.argv[2]);
  if (!Number.isInteger(port) || port <= 0) throw new Error("usage: node <server>.js <port>");
  return port;
}

/** Tells the benchmark the server is up (it waits for this line). */
export function announce(port: number): void {
  console.log(`listening on ${port}`);
}
