import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey } from "jose";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { collect, userStateClient } from "./support/clients.js";
import { blockKey, unique } from "./support/fixture.js";
import { startServerProcess, type ServerProcess } from "./support/server-process.js";
import { bearer, mintToken, ownStateClaims, testAudience, testIssuer } from "./support/tokens.js";

let privateKey: CryptoKey;
let jwks: { keys: unknown[] };
let directory: string;
let jwksServer: http.Server;

beforeAll(async () => {
  const pair = await generateKeyPair("ES256");
  privateKey = pair.privateKey;
  jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: "test-key", alg: "ES256", use: "sig" }] };
  directory = await mkdtemp(path.join(os.tmpdir(), "learnerstate-jwks-"));
  await writeFile(path.join(directory, "jwks.json"), JSON.stringify(jwks));
  jwksServer = http.createServer((_request, response) => response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(jwks)));
  jwksServer.listen(0, "127.0.0.1");
  await once(jwksServer, "listening");
});
afterAll(async () => {
  jwksServer.close();
  await rm(directory, { recursive: true, force: true });
});

/** An ES256 token signed with the test key pair. */
function signed(claims: Record<string, unknown>, overrides: { issuer?: string; audience?: string; expiresInSeconds?: number } = {}) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "ES256", kid: "test-key" })
    .setIssuer(overrides.issuer ?? testIssuer)
    .setAudience(overrides.audience ?? testAudience)
    .setIssuedAt(now)
    .setExpirationTime(now + (overrides.expiresInSeconds ?? 3600))
    .sign(privateKey);
}

async function codeOf(server: ServerProcess, token: string | null, username: string): Promise<string> {
  const key = blockKey(`course-v1:${unique("Org")}+Auth+2026`, "problem", "p");
  return userStateClient(server.baseUrl)
    .setMany({ username, updates: [{ blockKey: key, fields: { a: "1" } }] }, bearer(token))
    .then(
      () => "OK",
      (error: unknown) => Code[ConnectError.from(error).code],
    );
}

describe("asymmetric tokens", () => {
  for (const source of ["file", "url"] as const) {
    it(`are checked against keys from a JWKS ${source}: signature, issuer, audience and expiry`, async () => {
      const keySource =
        source === "file" ? { JWT_JWKS_FILE: path.join(directory, "jwks.json") } : { JWT_JWKS_URL: `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json` };
      const server = await startServerProcess({ DATABASE_URL: inject("databaseUrl"), JWT_ISSUER: testIssuer, JWT_AUDIENCE: testAudience, ...keySource });
      try {
        const username = unique("learner");
        expect(await codeOf(server, await signed(ownStateClaims(username)), username)).toBe("OK");
        expect(await codeOf(server, await signed(ownStateClaims(username), { issuer: "https://elsewhere.example" }), username)).toBe("Unauthenticated");
        expect(await codeOf(server, await signed(ownStateClaims(username), { audience: "someone-else" }), username)).toBe("Unauthenticated");
        // Beyond the 30 s clock skew allowed.
        expect(await codeOf(server, await signed(ownStateClaims(username), { expiresInSeconds: -120 }), username)).toBe("Unauthenticated");
        // A token signed with a shared secret is not accepted where keys are asymmetric.
        expect(await codeOf(server, await mintToken(ownStateClaims(username)), username)).toBe("Unauthenticated");
        expect(await codeOf(server, "not.a.token", username)).toBe("Unauthenticated");
      } finally {
        expect(await server.stop()).toBe(0);
      }
    });
  }

  it("tolerates a small clock skew on expiry", async () => {
    const server = await startServerProcess({ DATABASE_URL: inject("databaseUrl"), JWT_ISSUER: testIssuer, JWT_AUDIENCE: testAudience, JWT_JWKS_FILE: path.join(directory, "jwks.json") });
    try {
      const username = unique("learner");
      expect(await codeOf(server, await signed(ownStateClaims(username), { expiresInSeconds: -5 }), username)).toBe("OK");
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});

describe("development mode (no authentication configured)", () => {
  it("warns at start, trusts loopback callers, and refuses a non-loopback address unless told to", async () => {
    const server = await startServerProcess({ DATABASE_URL: inject("databaseUrl") });
    try {
      expect(server.output.some((line) => line.includes("no authentication configured"))).toBe(true);
      const username = unique("learner");
      expect(await codeOf(server, null, username)).toBe("OK");
    } finally {
      expect(await server.stop()).toBe(0);
    }
    const refused = await startServerProcess({ DATABASE_URL: inject("databaseUrl"), HOST: "0.0.0.0" }).then(
      async (unexpected) => {
        await unexpected.stop();
        return "started";
      },
      (error: Error) => error.message,
    );
    expect(refused).toContain("will not listen on 0.0.0.0");
    const allowed = await startServerProcess({ DATABASE_URL: inject("databaseUrl"), HOST: "0.0.0.0", ALLOW_UNAUTHENTICATED_NETWORK: "true" });
    expect(await allowed.stop()).toBe(0);
  });
});

describe("tokens", () => {
  it("for a learner read back the state they wrote, over every protocol's header handling", async () => {
    const server = await startServerProcess({ DATABASE_URL: inject("databaseUrl"), JWT_ISSUER: testIssuer, JWT_AUDIENCE: testAudience, JWT_JWKS_FILE: path.join(directory, "jwks.json") });
    try {
      const username = unique("learner");
      const token = await signed(ownStateClaims(username));
      const key = blockKey(`course-v1:${unique("Org")}+Auth+2026`, "problem", "p");
      for (const protocol of ["grpc", "grpc-web", "connect"] as const) {
        const client = userStateClient(server.baseUrl, protocol);
        await client.setMany({ username, updates: [{ blockKey: key, fields: { via: JSON.stringify(protocol) } }] }, bearer(token));
        const [message] = await collect(client.getMany({ username, blockKeys: [key] }, bearer(token)));
        expect(message!.blockStates[0]!.fields["via"]).toBe(JSON.stringify(protocol));
      }
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});
