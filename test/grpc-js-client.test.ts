import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { blockKey, unique, useServer } from "./support/fixture.js";

const fixture = useServer();

interface GrpcBlockState {
  username: string;
  blockKey: string;
  fields: Record<string, string>;
  updateTime: { seconds: string; nanos: number };
}

type UnaryCall<Request, Response> = (request: Request, callback: (error: grpc.ServiceError | null, response: Response) => void) => void;

interface UserStateStub extends grpc.Client {
  setMany: UnaryCall<unknown, SetManyReply>;
  getMany(request: unknown): grpc.ClientReadableStream<{ blockStates: GrpcBlockState[] }>;
}

let stub: UserStateStub;

beforeAll(() => {
  // The stub is built from the same .proto files as everything else, not from generated TypeScript.
  const definition = protoLoader.loadSync("learnerstate/v1/user_state_service.proto", {
    includeDirs: [fileURLToPath(new URL("../proto", import.meta.url))],
    longs: String,
    defaults: true,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    learnerstate: { v1: { UserStateService: new (address: string, credentials: grpc.ChannelCredentials) => UserStateStub } };
  };
  stub = new loaded.learnerstate.v1.UserStateService(`127.0.0.1:${fixture.server.port}`, grpc.credentials.createInsecure());
});
afterAll(() => stub.close());

type SetManyReply = { results: Array<{ blockKey: string; updateTime: { seconds: string; nanos: number } }> };

function setMany(request: unknown): Promise<SetManyReply> {
  return new Promise((resolve, reject) => stub.setMany(request, (error, response) => (error ? reject(error) : resolve(response))));
}

function getMany(request: unknown): Promise<GrpcBlockState[]> {
  return new Promise((resolve, reject) => {
    const states: GrpcBlockState[] = [];
    const call = stub.getMany(request);
    call.on("data", (message: { blockStates: GrpcBlockState[] }) => states.push(...message.blockStates));
    call.on("error", reject);
    call.on("end", () => resolve(states));
  });
}

describe("a @grpc/grpc-js client loaded from the .proto files", () => {
  it("calls the unary SetMany and the streaming GetMany", async () => {
    const username = unique("learner");
    const key = blockKey(`course-v1:${unique("Org")}+Grpc+2026`, "problem", "p");
    const written = await setMany({ username, updates: [{ blockKey: key, fields: { attempts: "3", big: "9007199254740993" } }] });
    expect(written.results).toHaveLength(1);
    expect(written.results[0]!.blockKey).toBe(key);
    const states = await getMany({ username, blockKeys: [key, blockKey("course-v1:A+B+C", "problem", "missing")] });
    expect(states).toHaveLength(1);
    expect(states[0]).toMatchObject({ username, blockKey: key, fields: { attempts: "3", big: "9007199254740993" } });
    expect(states[0]!.updateTime).toEqual(written.results[0]!.updateTime);
  });

  it("receives INVALID_ARGUMENT on a stream, with the offending field named", async () => {
    const error = await getMany({ username: "u", blockKeys: ["not-a-key"] }).then(
      () => undefined,
      (reason: grpc.ServiceError) => reason,
    );
    expect(error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(error?.details).toContain("block_keys[0]");
  });
});
