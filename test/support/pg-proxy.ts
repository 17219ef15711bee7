import net from "node:net";

/**
 * A TCP proxy in front of PostgreSQL that the test controls: it counts the
 * round trips its clients make and can cut the database off and bring it back.
 */
export interface PgProxy {
  readonly port: number;
  /** Sync and simple-Query messages seen so far: each is one round trip to the server. */
  roundTrips(): number;
  /** Drops every open connection and refuses new ones, as a database that went away. */
  cut(): void;
  /** Lets connections through again. */
  restore(): void;
  close(): Promise<void>;
}

// Startup-phase messages carry no type byte; this protocol number marks the
// StartupMessage, after which every client message is typed.
const protocolVersion3 = 196608;

/** Reads PostgreSQL frontend messages from one client and counts Sync ('S') and Query ('Q'). */
function createCounter(onRoundTrip: () => void): (chunk: Buffer) => void {
  let pending = Buffer.alloc(0);
  let typed = false;
  return (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    for (;;) {
      if (!typed) {
        if (pending.length < 8) return;
        const length = pending.readInt32BE(0);
        if (pending.length < length) return;
        typed = pending.readInt32BE(4) === protocolVersion3;
        pending = pending.subarray(length);
      } else {
        if (pending.length < 5) return;
        const length = pending.readInt32BE(1) + 1;
        if (pending.length < length) return;
        const type = String.fromCharCode(pending[0]!);
        if (type === "S" || type === "Q") onRoundTrip();
        pending = pending.subarray(length);
      }
    }
  };
}

/** Starts a proxy on a free loopback port that forwards to `target` unchanged. */
export async function startPgProxy(target: { host: string; port: number }): Promise<PgProxy> {
  let roundTrips = 0;
  let open = true;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    if (!open) {
      client.destroy();
      return;
    }
    const upstream = net.connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => undefined);
    }
    const count = createCounter(() => (roundTrips += 1));
    client.on("data", (chunk: Buffer) => {
      count(chunk);
      upstream.write(chunk);
    });
    upstream.pipe(client);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return {
    port: (server.address() as net.AddressInfo).port,
    roundTrips: () => roundTrips,
    cut() {
      open = false;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      open = true;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** `databaseUrl` pointed at `proxy` instead of the database server. */
export function throughProxy(databaseUrl: string, proxy: PgProxy): string {
  const url = new URL(databaseUrl);
  url.hostname = "127.0.0.1";
  url.port = String(proxy.port);
  return url.toString();
}
