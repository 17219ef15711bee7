import net from "node:net";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createLearnerStateServices } from "../src/client/index.js";
import { unique } from "./support/fixture.js";
import { startServerProcess, type ServerProcess } from "./support/server-process.js";

// The client's IterAll streams ride out a server that dies mid-stream and
// comes back on the same port: the caller sees every row once, in order,
// and no error.
const rowCount = 5_000;
const org = unique("Resume");
const course = `course-v1:${org}+Restart+2026`;
let db: pg.Pool;
let server: ServerProcess;

beforeAll(async () => {
  db = new pg.Pool({ connectionString: inject("databaseUrl"), max: 2 });
  server = await startServerProcess({ DATABASE_URL: inject("databaseUrl") });
  // Loaded with SQL behind the service's back: the test is about reading.
  await db.query(
    `insert into user_state (username, usage_key, scope, context_key, block_type, state, field_modified)
     select 'learner' || (i / 50), 'block-v1:' || $1 || '+Restart+2026+type@problem+block@p' || (i % 50), 'user_state', $2, 'problem',
            jsonb_build_object('seed', i), '{}'::jsonb
     from generate_series(0, $3 - 1) as i`,
    [org, course, rowCount],
  );
});

afterAll(async () => {
  await db.end();
  await server.stop();
});

describe("the TypeScript client's IterAllForCourse", () => {
  it("resumes from its last token after the server is killed and restarted mid-stream", { timeout: 60_000 }, async () => {
    const { userState } = createLearnerStateServices({ target: server.baseUrl, resume: { initialDelayMs: 50, maxDelayMs: 500, maxAttempts: 40 } });
    const port = server.port;
    const seeds: number[] = [];
    let pagesBeforeRestart = 0;
    let restart: Promise<void> | undefined;
    for await (const page of userState.iterAllForCourse({ courseKey: course, batchSize: 100 })) {
      seeds.push(...page.blockStates.map((state) => JSON.parse(state.fields["seed"]!) as number));
      if (restart === undefined && seeds.length >= 1_000) {
        pagesBeforeRestart = seeds.length / 100;
        // The page in hand is the last the old server sends.
        server.kill("SIGKILL");
        await server.exited;
        restart = startServerProcess({ DATABASE_URL: inject("databaseUrl"), PORT: String(port) }).then((restarted) => {
          server = restarted;
        });
      }
    }
    await restart;
    expect(pagesBeforeRestart).toBe(10);
    expect(server.port).toBe(port);
    expect(seeds).toHaveLength(rowCount);
    expect(new Set(seeds).size).toBe(rowCount);
    expect(seeds.toSorted((a, b) => a - b)).toEqual(Array.from({ length: rowCount }, (_, index) => index));
  });
});

/**
 * A TCP proxy to `port` whose first connection is closed (FIN, not reset)
 * towards the client once `cutAfterBytes` of the server's bytes went
 * through; later connections pass everything.
 */
async function closingProxy(port: number, cutAfterBytes: number): Promise<{ url: string; cuts: () => number; close: () => void }> {
  let cuts = 0;
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const proxy = net.createServer((client) => {
    const first = connections === 0;
    connections += 1;
    const upstream = net.connect(port, "127.0.0.1");
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => undefined);
      socket.on("close", () => sockets.delete(socket));
    }
    client.pipe(upstream);
    let passed = 0;
    upstream.on("data", (chunk: Buffer) => {
      if (!first) return void client.write(chunk);
      if (passed >= cutAfterBytes) return;
      passed += chunk.length;
      client.write(chunk);
      if (passed >= cutAfterBytes) {
        cuts += 1;
        client.end();
        upstream.destroy();
      }
    });
    upstream.on("end", () => client.end());
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`,
    cuts: () => cuts,
    close: () => {
      for (const socket of sockets) socket.destroy();
      proxy.close();
    },
  };
}

describe("the TypeScript client's IterAllForCourse over a connection that closes", () => {
  // connect-node reports this cut as CANCELED; a server killed mid-stream has
  // also shown up as UNKNOWN "Premature close" (src/client/resumable-stream.test.ts).
  it("resumes from its last token when its connection is closed under the stream", { timeout: 60_000 }, async () => {
    const proxy = await closingProxy(server.port, 100_000);
    try {
      const { userState } = createLearnerStateServices({ target: proxy.url, resume: { initialDelayMs: 50, maxDelayMs: 500, maxAttempts: 10 } });
      const seeds: number[] = [];
      for await (const page of userState.iterAllForCourse({ courseKey: course, batchSize: 100 })) {
        seeds.push(...page.blockStates.map((state) => JSON.parse(state.fields["seed"]!) as number));
      }
      expect(proxy.cuts()).toBe(1);
      expect(seeds.toSorted((a, b) => a - b)).toEqual(Array.from({ length: rowCount }, (_, index) => index));
    } finally {
      proxy.close();
    }
  });
});
