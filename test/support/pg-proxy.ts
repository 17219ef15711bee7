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
  /**
   * Stops forwarding without closing anything, as a frozen server or a
   * network partition looks: connections stay open (new ones are accepted)
   * and bytes are held until {@link thaw}.
   */
  freeze(): void;
  /** Delivers what was held and forwards again. */
  thaw(): void;
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

/** One direction of a proxied connection: forwards chunks, or holds them while frozen. */
function createPipe(to: net.Socket, isFrozen: () => boolean) {
  const held: Buffer[] = [];
  return {
    push(chunk: Buffer) {
      if (isFrozen()) held.push(chunk);
      else to.write(chunk);
    },
    flush() {
      for (const chunk of held.splice(0)) to.write(chunk);
    },
  };
}

/**
 * Starts a proxy on a loopback port (`port`, or a free one) that forwards to
 * `target` unchanged.
 */
export async function startPgProxy(target: { host: string; port: number }, port = 0): Promise<PgProxy> {
  let roundTrips = 0;
  let open = true;
  let frozen = false;
  const sockets = new Set<net.Socket>();
  const pipes = new Set<{ flush(): void }>();
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
    const toServer = createPipe(upstream, () => frozen);
    const toClient = createPipe(client, () => frozen);
    pipes.add(toServer);
    pipes.add(toClient);
    client.on("data", (chunk: Buffer) => {
      count(chunk);
      toServer.push(chunk);
    });
    upstream.on("data", (chunk: Buffer) => toClient.push(chunk));
    client.on("close", () => {
      pipes.delete(toServer);
      upstream.destroy();
    });
    upstream.on("close", () => {
      pipes.delete(toClient);
      client.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", () => resolve()));
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
    freeze() {
      frozen = true;
    },
    thaw() {
      frozen = false;
      for (const pipe of pipes) pipe.flush();
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
