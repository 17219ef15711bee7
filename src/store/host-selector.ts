import net from "node:net";
import pg from "pg";
import { LearnerStateError } from "../domain/errors.js";
import type { DatabaseUrl } from "./database-url.js";
import { createReadInPlaceSocket } from "./read-in-place-socket.js";

/** What node-postgres is given for one connection. */
export interface ConnectionSettings {
  readonly connectionString: string;
  readonly connectionTimeoutMillis: number;
  readonly application_name: string;
}

/** Options of {@link createHostSelector}. */
export interface HostSelectorOptions {
  /** Longest wait for one host to accept a connection (and to answer the role check). */
  readonly connectTimeoutMs: number;
  /** How connections are named in pg_stat_activity. */
  readonly applicationName: string;
}

/** Finds, among a URL's hosts, the one to use, and finds another when told that it no longer serves. */
export interface HostSelector {
  /** The URL of the first host alone, for what reads a single URL (MikroORM takes the database name from it). */
  readonly firstUrl: string;
  /**
   * knex's connection provider: the settings for the chosen host (looking
   * for one first when none is chosen), with an `expirationChecker` that
   * turns true once another host is chosen or the choice is reconsidered.
   * Throws "unavailable" (STORE_UNAVAILABLE) when no host serves.
   */
  connectionSettings(): Promise<ConnectionSettings & { expirationChecker: () => boolean; stream: typeof poolSocket }>;
  /** A new connection to the chosen host, outside the pool (for the heartbeat and the migration lock); throws as {@link connectionSettings}. */
  connect(): Promise<pg.Client>;
  /** Drops a connection from {@link connect} at once, without a goodbye that a silent server would never answer. */
  drop(connection: pg.Client): void;
  /**
   * Asks the server of `connection` whether it is what the URL asks for:
   * any server for target "any"; for "read-write" one that accepts writes,
   * for "primary" one not in recovery. One round trip; throws when the query fails.
   */
  serves(connection: pg.Client): Promise<boolean>;
  /** Notes that the pool made `connection` with the settings last handed out (knex pool `afterCreate`). */
  adopt(connection: object): void;
  /**
   * Whether a pooled connection was made under the current choice; false
   * sends it away (knex pool `validate`). Connections made before the choice
   * was reconsidered are replaced, even when the same host is chosen again:
   * their sessions may be what made it reconsider (read-only, say).
   */
  holds(connection: object): boolean;
  /** Forgets the choice: the next connection looks at every host again, in order. */
  reconsider(): void;
  /** Calls `listener` with the host (as the URL writes it) whenever one is chosen; returns a function that stops it. */
  onChoice(listener: (host: string) => void): () => void;
}

interface Choice {
  readonly url: string;
  /** `host:port` as written in the URL. */
  readonly host: string;
}

/**
 * The socket of a pooled connection, made by pg with its parsed settings
 * (which its types leave out): one that reads in place
 * (read-in-place-socket.ts), unless TLS is to wrap it.
 */
function poolSocket(parsed?: { readonly ssl?: unknown }): net.Socket {
  return parsed?.ssl ? new net.Socket() : createReadInPlaceSocket();
}

/**
 * Chooses hosts as libpq does for a multi-host URL: tries them in order and
 * keeps the first that accepts a connection and, for target "read-write" or
 * "primary", answers that it is writable. node-postgres connects to one host
 * only, so this runs before the pool opens connections. A single-host URL
 * with target "any" is used as it is, without a probe.
 */
export function createHostSelector(url: DatabaseUrl, options: HostSelectorOptions): HostSelector {
  const settingsOf = (connectionString: string): ConnectionSettings => ({
    connectionString,
    connectionTimeoutMillis: options.connectTimeoutMs,
    application_name: options.applicationName,
  });
  const probeNeeded = url.hosts.length > 1 || url.target !== "any";
  let choice: Choice | null = probeNeeded ? null : { url: url.urlFor(url.hosts[0]!), host: url.hosts[0]! };
  let choosing: Promise<Choice> | null = null;
  let handedOut: Choice | null = null;
  const madeUnder = new WeakMap<object, Choice>();
  const listeners = new Set<(host: string) => void>();

  const servesSql = {
    any: "select true as serves",
    "read-write": "select current_setting('transaction_read_only') = 'off' as serves",
    primary: "select not pg_is_in_recovery() as serves",
  }[url.target];
  async function serves(connection: pg.Client): Promise<boolean> {
    const { rows } = await connection.query<{ serves: boolean }>(servesSql);
    return rows[0]?.serves === true;
  }

  async function probe(): Promise<Choice> {
    const refusals: string[] = [];
    for (const host of url.hosts) {
      const client = new pg.Client({ ...settingsOf(url.urlFor(host)), query_timeout: options.connectTimeoutMs });
      client.on("error", () => undefined);
      try {
        await client.connect();
        if (await serves(client)) return { url: url.urlFor(host), host };
        refusals.push(`${host}: read-only`);
      } catch (error) {
        refusals.push(`${host}: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        await client.end().catch(() => undefined);
      }
    }
    throw new LearnerStateError("unavailable", "STORE_UNAVAILABLE", "no database host serves (none answers, or none is writable); retry later", {}, {
      cause: new Error(refusals.join("; ")),
    });
  }

  function chosen(): Promise<Choice> {
    if (choice !== null) return Promise.resolve(choice);
    choosing ??= probe().then(
      (found) => {
        choice = found;
        choosing = null;
        for (const listener of listeners) listener(found.host);
        return found;
      },
      (error: unknown) => {
        choosing = null;
        throw error;
      },
    );
    return choosing;
  }

  return {
    firstUrl: url.urlFor(url.hosts[0]!),
    async connectionSettings() {
      const current = await chosen();
      handedOut = current;
      return { ...settingsOf(current.url), expirationChecker: () => choice !== current, stream: poolSocket };
    },
    async connect() {
      const client = new pg.Client(settingsOf((await chosen()).url));
      // A connection lost later fails its next query; the event must not crash the process.
      client.on("error", () => undefined);
      await client.connect();
      return client;
    },
    drop: (connection) => (connection as pg.Client & { connection: { stream: { destroy(): void } } }).connection.stream.destroy(),
    serves,
    adopt(connection) {
      if (handedOut !== null) madeUnder.set(connection, handedOut);
    },
    holds: (connection) => !probeNeeded || choice === null || madeUnder.get(connection) === choice,
    reconsider() {
      if (probeNeeded) choice = null;
    },
    onChoice(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
