import { create, createFileRegistry, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema, type FileDescriptorProto } from "@bufbuild/protobuf/wkt";
import { Code, createClient } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus } from "../gen/grpc/health/v1/health_pb.js";
import { ServerReflection, type ServerReflectionRequest } from "../gen/grpc/reflection/v1/reflection_pb.js";
import { transportTo } from "./support/clients.js";
import { blockKey, expectCode, unique, useServer } from "./support/fixture.js";
import { healthOf } from "./support/health.js";

const fixture = useServer();

/** Sends `requests` on one reflection stream and returns the answers in order. */
async function reflect(requests: Array<ServerReflectionRequest["messageRequest"]>) {
  const client = createClient(ServerReflection, transportTo(fixture.server.baseUrl));
  async function* outgoing() {
    for (const messageRequest of requests) yield { host: "", messageRequest };
  }
  const answers = [];
  for await (const response of client.serverReflectionInfo(outgoing())) answers.push(response.messageResponse);
  return answers;
}

describe("grpc.health.v1.Health", () => {
  it("reports SERVING for the server and each service, and NOT_FOUND for unknown services", async () => {
    expect(await healthOf(fixture.server.baseUrl)).toBe("SERVING");
    expect(await healthOf(fixture.server.baseUrl, "learnerstate.v1.UserStateService")).toBe("SERVING");
    expect(await healthOf(fixture.server.baseUrl, "learnerstate.v1.KeyService")).toBe("SERVING");
    expect(await healthOf(fixture.server.baseUrl, "learnerstate.v1.CatalogService")).toBe("SERVING");
    await expectCode(healthOf(fixture.server.baseUrl, "no.such.Service"), Code.NotFound);
  });

  it("streams the current status on Watch", async () => {
    const abort = new AbortController();
    const client = createClient(Health, transportTo(fixture.server.baseUrl));
    const statuses: string[] = [];
    try {
      for await (const response of client.watch({ service: "" }, { signal: abort.signal })) {
        statuses.push(HealthCheckResponse_ServingStatus[response.status]);
        abort.abort();
      }
    } catch {
      // The stream ends with the cancellation.
    }
    expect(statuses).toEqual(["SERVING"]);
  });
});

describe("grpc.reflection.v1.ServerReflection", () => {
  it("lists the services and serves descriptors from which a client can call the API", async () => {
    const [listed, byService, missing] = await reflect([
      { case: "listServices", value: "" },
      { case: "fileContainingSymbol", value: "learnerstate.v1.UserStateService" },
      { case: "fileContainingSymbol", value: "learnerstate.v1.NoSuchThing" },
    ]);
    expect(listed?.case === "listServicesResponse" && listed.value.service.map((service) => service.name)).toEqual([
      "learnerstate.v1.UserStateService",
      "learnerstate.v1.KeyService",
      "learnerstate.v1.CatalogService",
      "learnerstate.v1.BlockStructureService",
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
    ]);
    expect(missing?.case === "errorResponse" && missing.value.errorCode).toBe(Code.NotFound);
    if (byService?.case !== "fileDescriptorResponse") throw new Error(`no descriptors: ${JSON.stringify(byService)}`);
    const files: FileDescriptorProto[] = byService.value.fileDescriptorProto.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes));
    expect(files[0]!.name).toBe("learnerstate/v1/user_state_service.proto");
    expect(files.map((file) => file.name)).toEqual(expect.arrayContaining(["learnerstate/v1/user_state.proto", "google/protobuf/timestamp.proto"]));

    // Like grpcurl: build the service from the fetched descriptors alone and call it.
    // In dependency order: protobuf-es's createFileRegistry(file, resolve)
    // adds a file imported twice (scope.proto, by the service and by
    // user_state.proto) after one of its importers, and fails.
    const byName = new Map(files.map((file) => [file.name, file]));
    const ordered: FileDescriptorProto[] = [];
    const place = (file: FileDescriptorProto): void => {
      if (ordered.includes(file)) return;
      file.dependency.forEach((name) => place(byName.get(name)!));
      ordered.push(file);
    };
    place(files[0]!);
    const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: ordered }));
    const service = registry.getService("learnerstate.v1.UserStateService");
    expect(service?.methods.map((method) => method.name)).toContain("SetMany");
    const dynamic = createClient(service!, transportTo(fixture.server.baseUrl)) as unknown as Record<string, (request: unknown) => Promise<unknown>>;
    const key = blockKey(`course-v1:${unique("Org")}+Reflect+2026`, "problem", "p");
    const response = (await dynamic["setMany"]!({ username: unique("learner"), updates: [{ blockKey: key, fields: { a: "1" } }] })) as { results: unknown[] };
    expect(response.results).toHaveLength(1);
  });

  it("serves a file by name, with its imports", async () => {
    const [answer] = await reflect([{ case: "fileByFilename", value: "learnerstate/v1/key_service.proto" }]);
    if (answer?.case !== "fileDescriptorResponse") throw new Error("no descriptors");
    expect(fromBinary(FileDescriptorProtoSchema, answer.value.fileDescriptorProto[0]!).service.map((service) => service.name)).toEqual(["KeyService"]);
  });
});
