import type { DescService } from "@bufbuild/protobuf";
import { createClient, type CallOptions, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { IBackoff } from "cockatiel";
import { BlockStructureService } from "../../gen/learnerstate/v1/block_structure_service_pb.js";
import { CatalogService } from "../../gen/learnerstate/v1/catalog_service_pb.js";
import { KeyService } from "../../gen/learnerstate/v1/key_service_pb.js";
import { UserStateService } from "../../gen/learnerstate/v1/user_state_service_pb.js";
import { installExactTextEncoding } from "../rpc/exact-text-encoding.js";
import { createCallRetry, sleep, type CallRetry, type RetryPolicy } from "./call-retry.js";
import { learnerStateErrorOf } from "./errors.js";
import { resumeOnUnavailable, type ResumePolicy } from "./resumable-stream.js";
import { WideWindowSessions } from "./wide-window-sessions.js";

/** Where and how to reach a learnerstate server. */
export interface ConnectionOptions {
  /**
   * The server: `http://host:port` (or `host:port`, taken as plain HTTP/2),
   * or `https://host:port` for TLS (see `tls`), reached over gRPC. Ignored
   * when `transport` is given.
   */
  readonly target?: string;
  /** A Connect transport of your own (gRPC-Web, Connect…), instead of `target`. */
  readonly transport?: Transport;
  /**
   * For an `https://` target (a server with TLS_CERT_FILE): the CA
   * certificates to trust (PEM; default: Node's), and the client certificate
   * and key to present to a server that asks for one (TLS_CLIENT_CA_FILE).
   */
  readonly tls?: { readonly ca?: string | Buffer; readonly cert?: string | Buffer; readonly key?: string | Buffer };
  /**
   * Bearer token sent with every call: an Open edX JWT with the scopes of the
   * calls made (README, "Who may do what"), or the LMS's administrator
   * token. Omit for a server in development mode.
   */
  readonly token?: string;
  /** Deadline of each unary call in milliseconds; streams have none. Default: none. */
  readonly timeoutMs?: number;
  /**
   * How IterAllForBlock, IterAllForCourse and WatchChanges resume after
   * UNAVAILABLE or a broken connection: attempts and back-off between
   * consecutive failures (any message received starts the count again).
   */
  readonly resume?: ResumePolicy;
  /** How calls the server turned away before doing anything (OVERLOADED, UNAVAILABLE) are retried; `{ maxAttempts: 1 }` turns it off. */
  readonly retry?: RetryPolicy;
}

/**
 * Every service of the contract, as Connect clients whose calls fail with
 * LearnerStateError subclasses (DoesNotExist, PermissionDenied,
 * ServiceUnavailable, …). Requests and responses are the generated messages
 * of `gen/learnerstate/v1`: field values are JSON texts, exactly as stored.
 */
export interface LearnerStateServices {
  /**
   * UserStateService. `iterAllForBlock`, `iterAllForCourse` and
   * `watchChanges` resume by themselves from their last token after
   * UNAVAILABLE (a database failure, a server restarting or shutting down)
   * or a broken connection, so the caller sees each message once, in order.
   * A watch never ends by itself and has no limit on its duration: it fails
   * only when `resume.maxAttempts` reconnections in a row get no message, on
   * an error that retrying cannot mend, or with ChangeFeedLost (OUT_OF_RANGE)
   * when its token can no longer be honoured.
   */
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
  const baseUrl = baseUrlOf(options.target);
  return createGrpcTransport({
    baseUrl,
    interceptors: options.token === undefined ? [] : [bearer(options.token)],
    sessionManager: new WideWindowSessions(baseUrl, { ...options.tls }),
  });
}

type AnyMethod = (request: unknown, callOptions?: CallOptions) => unknown;

/**
 * `createClient(service, transport)` whose errors are LearnerStateErrors,
 * whose unary calls get `timeoutMs`, and whose calls are retried by `retry`
 * when that is safe (streams only until their first message).
 */
function typedClient<Service extends DescService>(service: Service, transport: Transport, timeoutMs: number | undefined, retry: CallRetry): Client<Service> {
  const plain = createClient(service, transport) as unknown as Record<string, AnyMethod>;
  const typed: Record<string, AnyMethod> = {};
  for (const method of service.methods) {
    const call = plain[method.localName]!;
    typed[method.localName] =
      method.methodKind === "unary"
        ? (request, callOptions) =>
            retry.run(
              method.name,
              async () => {
                try {
                  return await call(request, { ...(timeoutMs === undefined ? {} : { timeoutMs }), ...callOptions });
                } catch (thrown) {
                  throw learnerStateErrorOf(thrown);
                }
              },
              callOptions?.signal,
            )
        : async function* (request, callOptions) {
            let delay: IBackoff<unknown> | undefined;
            for (let attempts = 1; ; attempts += 1) {
              let received = false;
              try {
                for await (const message of call(request, callOptions) as AsyncIterable<unknown>) {
                  received = true;
                  yield message;
                }
                retry.succeeded();
                return;
              } catch (thrown) {
                const error = learnerStateErrorOf(thrown);
                if (received || callOptions?.signal?.aborted || !retry.mayRetry(error, method.name, attempts)) throw error;
                delay = retry.delayAfter(error, delay);
                await sleep(delay.duration, callOptions?.signal);
              }
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
  const retry = createCallRetry(options.retry);
  const userState = typedClient(UserStateService, transport, options.timeoutMs, retry);
  const resuming: Client<typeof UserStateService> = {
    ...userState,
    iterAllForBlock: (request, callOptions) =>
      resumeOnUnavailable((resumeToken) => userState.iterAllForBlock({ ...request, resumeToken }, callOptions), request.resumeToken ?? "", options.resume, callOptions?.signal),
    iterAllForCourse: (request, callOptions) =>
      resumeOnUnavailable((resumeToken) => userState.iterAllForCourse({ ...request, resumeToken }, callOptions), request.resumeToken ?? "", options.resume, callOptions?.signal),
    // An empty first token is "now": a watch that fails before its first message starts at the retry's now.
    watchChanges: (request, callOptions) =>
      resumeOnUnavailable((resumeToken) => userState.watchChanges({ ...request, resumeToken }, callOptions), request.resumeToken ?? "", options.resume, callOptions?.signal),
  };
  return {
    userState: resuming,
    keys: typedClient(KeyService, transport, options.timeoutMs, retry),
    catalog: typedClient(CatalogService, transport, options.timeoutMs, retry),
    blockStructures: typedClient(BlockStructureService, transport, options.timeoutMs, retry),
  };
}
