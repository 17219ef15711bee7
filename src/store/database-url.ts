/**
 * Which server of a URL's hosts a connection wants, as libpq's
 * `target_session_attrs` says: "any" takes the first that answers,
 * "read-write" the first that accepts writes, "primary" the first that is not
 * in recovery.
 */
export type TargetSession = "any" | "read-write" | "primary";

/** A PostgreSQL URL in libpq's form, which may name several hosts. */
export interface DatabaseUrl {
  /** Each host as written (`host`, `host:port`, `[v6]:port`), in the order to try them. */
  readonly hosts: readonly string[];
  readonly target: TargetSession;
  /** The URL with `host` as its only host and without `target_session_attrs`: what node-postgres takes. */
  urlFor(host: string): string;
}

const targets: readonly TargetSession[] = ["any", "read-write", "primary"];

// scheme, optional user info, the host list, then path, query and fragment.
const urlParts = /^(postgres(?:ql)?:\/\/)(?:([^@/?#]*)@)?([^/?#]*)(.*)$/su;

/**
 * Reads `postgres://user:password@h1:5432,h2:5433/db?target_session_attrs=read-write`
 * (libpq's multi-host URL; node-postgres reads only single-host URLs). A URL
 * with one host and no `target_session_attrs` is one host with target "any".
 * Throws an Error naming the problem when the text is not a postgres URL, a
 * host is empty, or `target_session_attrs` has a value other than any,
 * read-write or primary. Credentials never appear in the message.
 */
export function parseDatabaseUrl(text: string): DatabaseUrl {
  const parts = urlParts.exec(text);
  if (parts === null) throw new Error("a database URL must start with postgres:// or postgresql://");
  const [, scheme = "", userInfo, hostList = "", rest = ""] = parts;
  const hosts = hostList.split(",");
  if (hosts.some((host) => host === "")) throw new Error(`the database URL's host list ${JSON.stringify(hostList)} has an empty host`);
  const queryStart = rest.indexOf("?");
  const path = queryStart === -1 ? rest : rest.slice(0, queryStart);
  const query = new URLSearchParams(queryStart === -1 ? "" : rest.slice(queryStart + 1));
  const target = query.get("target_session_attrs") ?? "any";
  if (!(targets as readonly string[]).includes(target)) {
    throw new Error(`target_session_attrs=${target} is not supported: use one of ${targets.join(", ")}`);
  }
  query.delete("target_session_attrs");
  const remainingQuery = query.toString();
  const prefix = `${scheme}${userInfo === undefined ? "" : `${userInfo}@`}`;
  return {
    hosts,
    target: target as TargetSession,
    urlFor: (host) => `${prefix}${host}${path}${remainingQuery === "" ? "" : `?${remainingQuery}`}`,
  };
}
