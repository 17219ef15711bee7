import { describe, expect, it } from "vitest";
import { collect, userStateClient, type Protocol } from "./support/clients.js";
import { blockKey, unique, useServer } from "./support/fixture.js";

const fixture = useServer();

describe("one port, three protocols", () => {
  for (const protocol of ["grpc", "grpc-web", "connect"] satisfies Protocol[]) {
    it(`answers ${protocol} clients, unary and streaming`, async () => {
      const client = userStateClient(fixture.server.baseUrl, protocol);
      const username = unique("learner");
      const key = blockKey(`course-v1:${unique("Org")}+Proto+2026`, "problem", protocol);
      await client.setMany({ username, updates: [{ blockKey: key, fields: { via: JSON.stringify(protocol) } }] });
      const messages = await collect(client.getMany({ username, blockKeys: [key] }));
      expect(messages.flatMap((message) => message.blockStates.map((state) => state.fields))).toEqual([{ via: JSON.stringify(protocol) }]);
    });
  }
});
