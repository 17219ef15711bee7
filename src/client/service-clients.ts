import type { DescService } from "@bufbuild/protobuf";
import { createClient, type CallOptions, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { BlockStructureService } from "../../gen/learnerstate/v1/block_structure_service_pb.js";
import { CatalogService } from "../../gen/learnerstate/v1/catalog_service_pb.js";
import { KeyService } from "../../gen/learnerstate/v1/key_service_pb.js";
import { UserStateService } from "../../gen/learnerstate/v1/user_state_service_pb.js";
import { installExactTextEncoding } from "../rpc/exact-text-encoding.js";
import { learnerStateErrorOf } from "./errors.js";
import { resumeOnUnavailable, type ResumePolicy } from "./resumable-stream.js";

/** Where and how to reach a learnerstate server. */
export interface ConnectionOptions {
  /**
   * The server: `http://host:port` (or `host:port`, taken as plain HTTP/2),
   * reached over gRPC. Ignored when `transport` is given.
   */
  readonly target?: string;
  /** A Connect transport of your own (gRPC-Web, Connect, TLS…), instead of `target`. */
  readonly transport?: Transport;
  /**
   * Bearer token sent with every call: an Open edX JWT with the scopes of the
   * calls made (README, "Who may do what"), or the LMS's administrator
   * token. Omit for a server in development mode.
   */
  readonly token?: string;
  /** Deadline of each unary call in milliseconds; streams have none. Default: none. */
  readonly timeoutMs?: number;
  /** How IterAllForBlock and IterAllForCourse resume after UNAVAILABLE. */
  readonly resume?: ResumePolicy;
}

/**
 * Every service of the contract, as Connect clients whose calls fail with
 * LearnerStateError subclasses (DoesNotExist, PermissionDenied,
 * ServiceUnavailable, …). Requests and responses are the generated messages
 * of `gen/learnerstate/v1`: field values are JSON texts, exactly as stored.
 */
export interface LearnerStateServices {
  /** UserStateService. `iterAllForBlock` and `iterAllForCourse` resume by themselves from their last token after UNAVAILABLE or a broken connection. */
  readonly userState: Client<typeof UserStateService>;
  /** KeyService: DescribeKey. */
  readonly keys: Client<typeof KeyService>;
  /** CatalogService: organizations, catalog courses and course runs. */
  readonly catalog: Client<typeof CatalogService>;
  /** BlockStructureService: collected course structures and their per-learner transforms. */
  readonly blockStructures: Client<typeof BlockStructureService>;
}

/** A `host:port` target gets `http://`; anything with a scheme is kept. */
function baseUrlOf(target: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//iu.test(target) ? target : `http://${target}`;
}

function bearer(token: string): Interceptor {
  return (next) => (request) => {
    request.header.set("authorization", `Bearer ${token}`);
    return next(request);
  };
}

/** The transport `options` describe. */
export function transportOf(options: ConnectionOptions): Transport {
  if (options.transport !== undefined) return options.transport;
  if (options.target === undefined) throw new TypeError("learnerstate client: give a target (http://host:port) or a transport");
  return createGrpcTransport({
    baseUrl: baseUrlOf(options.target),
    interceptors: options.token === undefined ? [] : [bearer(options.token)],
  });
}

type AnyMethod = (request: unknown, callOptions?: CallOptions) => unknown;

/** `createClient(service, transport)` whose errors are LearnerStateErrors and whose unary calls get `timeoutMs`. */
function typedClient<Service extends DescService>(service: Service, transport: Transport, timeoutMs: number | undefined): Client<Service> {
  const plain = createClient(service, transport) as unknown as Record<string, AnyMethod>;
  const typed: Record<string, AnyMethod> = {};
  for (const method of service.methods) {
    const call = plain[method.localName]!;
    typed[method.localName] =
      method.methodKind === "unary"
        ? async (request, callOptions) => {
            try {
              return await call(request, { ...(timeoutMs === undefined ? {} : { timeoutMs }), ...callOptions });
            } catch (thrown) {
              throw learnerStateErrorOf(thrown);
            }
          }
        : async function* (request, callOptions) {
            try {
              yield* call(request, callOptions) as AsyncIterable<unknown>;
            } catch (thrown) {
              throw learnerStateErrorOf(thrown);
            }
          };
  }
  return typed as unknown as Client<Service>;
}

/**
 * Clients of every learnerstate service over one connection. Also makes
 * protobuf-es decode strings exactly (installExactTextEncoding), so a leading
 * U+FEFF in a value survives.
 */
export function createLearnerStateServices(options: ConnectionOptions): LearnerStateServices {
  installExactTextEncoding();
  const transport = transportOf(options);
  const userState = typedClient(UserStateService, transport, options.timeoutMs);
  const resuming: Client<typeof UserStateService> = {
    ...userState,
    iterAllForBlock: (request, callOptions) =>
      resumeOnUnavailable((resumeToken) => userState.iterAllForBlock({ ...request, resumeToken }, callOptions), request.resumeToken ?? "", options.resume, callOptions?.signal),
    iterAllForCourse: (request, callOptions) =>
      resumeOnUnavailable((resumeToken) => userState.iterAllForCourse({ ...request, resumeToken }, callOptions), request.resumeToken ?? "", options.resume, callOptions?.signal),
  };
  return {
    userState: resuming,
    keys: typedClient(KeyService, transport, options.timeoutMs),
    catalog: typedClient(CatalogService, transport, options.timeoutMs),
    blockStructures: typedClient(BlockStructureService, transport, options.timeoutMs),
  };
}
