import { createClient, type Client, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { BlockStructureService } from "../../gen/learnerstate/v1/block_structure_service_pb.js";
import { CatalogService } from "../../gen/learnerstate/v1/catalog_service_pb.js";
import { UserStateService } from "../../gen/learnerstate/v1/user_state_service_pb.js";
import { installExactTextEncoding } from "../../src/rpc/index.js";

// Test clients decode strings exactly too (see installExactTextEncoding).
installExactTextEncoding();

/** The three protocols the server speaks on its one port. */
export type Protocol = "grpc" | "grpc-web" | "connect";

/** How messages are encoded: connect-node's defaults are binary for gRPC and gRPC-Web, JSON for Connect. */
export type Encoding = "binary" | "json";

/** What a test may change of a transport. */
export interface TransportChoices {
  /** Message encoding; unset: the protocol's default. */
  readonly encoding?: Encoding;
  /** Largest message the client accepts; unset: connect-node's default (no practical limit). */
  readonly readMaxBytes?: number;
}

/**
 * A transport of `protocol` to the server at `baseUrl`, over HTTP/2 without
 * TLS, with room (64 MB of HTTP/2 session memory, against Node's default 10)
 * to send the oversized messages the limit tests need.
 */
export function transportTo(baseUrl: string, protocol: Protocol = "grpc", choices: TransportChoices = {}): Transport {
  const options = {
    baseUrl,
    httpVersion: "2" as const,
    nodeOptions: { maxSessionMemory: 64 },
    ...(choices.encoding === undefined ? {} : { useBinaryFormat: choices.encoding === "binary" }),
    ...(choices.readMaxBytes === undefined ? {} : { readMaxBytes: choices.readMaxBytes }),
  };
  if (protocol === "grpc") return createGrpcTransport(options);
  if (protocol === "grpc-web") return createGrpcWebTransport(options);
  return createConnectTransport(options);
}

/** A generated-stub client of UserStateService. */
export function userStateClient(baseUrl: string, protocol: Protocol = "grpc", choices: TransportChoices = {}): Client<typeof UserStateService> {
  return createClient(UserStateService, transportTo(baseUrl, protocol, choices));
}

/** A generated-stub client of CatalogService. */
export function catalogClient(baseUrl: string, protocol: Protocol = "grpc"): Client<typeof CatalogService> {
  return createClient(CatalogService, transportTo(baseUrl, protocol));
}

/** A generated-stub client of BlockStructureService. */
export function blockStructureClient(baseUrl: string, protocol: Protocol = "grpc"): Client<typeof BlockStructureService> {
  return createClient(BlockStructureService, transportTo(baseUrl, protocol));
}

/** Collects every message of a server stream. */
export async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const messages: T[] = [];
  for await (const message of stream) messages.push(message);
  return messages;
}
