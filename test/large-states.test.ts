// Bulk reads of large states: every state the limits allow must be readable
// by a client that keeps gRPC's usual 4 MiB limit on received messages.
import { toBinary } from "@bufbuild/protobuf";
import { beforeAll, describe, expect, it } from "vitest";
import { GetManyResponseSchema, IterAllForCourseResponseSchema } from "../gen/learnerstate/v1/user_state_service_pb.js";
import { collect, userStateClient } from "./support/clients.js";
import { blockKey, unique, useServer } from "./support/fixture.js";

const fixture = useServer();

const grpcReceiveLimit = 4 * 1024 * 1024;
/** A client that, like most gRPC clients by default, refuses messages over 4 MiB. */
const clientOf = (protocol: "grpc" | "connect-json") =>
  userStateClient(fixture.server.baseUrl, protocol === "grpc" ? "grpc" : "connect", { encoding: protocol === "grpc" ? "binary" : "json", readMaxBytes: grpcReceiveLimit });

const course = `course-v1:${unique("Org")}+Large+2026`;
const username = unique("learner");
const keys = Array.from({ length: 20 }, (_, index) => blockKey(course, "problem", `p${index}`));
// Each state is about 900 KB: two fields of 450,000 characters, within the
// default limits (512 KiB a value, 1 MiB a state); 20 of them make 18 MB,
// more than the server's 16 MiB message limit and four times the client's.
const fieldsOf = (index: number) => ({ a: JSON.stringify(`${index}`.padEnd(450_000, "a")), b: JSON.stringify("b".repeat(450_000)) });

beforeAll(async () => {
  const writer = clientOf("grpc");
  for (let start = 0; start < keys.length; start += 4) {
    const updates = keys.slice(start, start + 4).map((key, offset) => ({ blockKey: key, fields: fieldsOf(start + offset) }));
    await writer.setMany({ username, updates });
  }
});

describe("bulk reads of large states", () => {
  for (const protocol of ["grpc", "connect-json"] as const) {
    it(`GetMany returns every block in messages a 4 MiB client accepts (${protocol})`, async () => {
      const messages = await collect(clientOf(protocol).getMany({ username, blockKeys: keys }));
      expect(messages.length).toBeGreaterThan(4);
      for (const message of messages) expect(toBinary(GetManyResponseSchema, message).length).toBeLessThanOrEqual(grpcReceiveLimit);
      const states = messages.flatMap((message) => message.blockStates);
      expect(states.map((state) => state.blockKey)).toEqual(keys);
      expect(states.map((state) => state.fields)).toEqual(keys.map((_, index) => fieldsOf(index)));
    });

    it(`IterAllForCourse splits a page into such messages, each resumable (${protocol})`, async () => {
      const client = clientOf(protocol);
      const messages = await collect(client.iterAllForCourse({ courseKey: course, batchSize: 1000 }));
      expect(messages.length).toBeGreaterThan(4);
      for (const message of messages) expect(toBinary(IterAllForCourseResponseSchema, message).length).toBeLessThanOrEqual(grpcReceiveLimit);
      expect(messages.flatMap((message) => message.blockStates.map((state) => state.blockKey))).toEqual(keys);

      // Resuming after any message continues with exactly the states after it.
      const middle = Math.floor(messages.length / 2);
      const seen = messages.slice(0, middle + 1).reduce((count, message) => count + message.blockStates.length, 0);
      const rest = await collect(client.iterAllForCourse({ courseKey: course, batchSize: 1000, resumeToken: messages[middle]!.resumeToken }));
      expect(rest.flatMap((message) => message.blockStates.map((state) => state.blockKey))).toEqual(keys.slice(seen));
    });
  }
});
