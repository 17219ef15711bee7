import { describe, expect, it } from "vitest";
import { collect, userStateClient } from "./support/clients.js";
import { blockKey, unique, useServer } from "./support/fixture.js";

const fixture = useServer();

describe("concurrent SetMany on one block", () => {
  it("keeps every field written by 50 concurrent writers", async () => {
    const username = unique("learner");
    const key = blockKey(`course-v1:${unique("Org")}+Race+2026`, "problem", "contended");
    const writers = 50;
    const roundsPerWriter = 4;
    // Each writer has its own connection, so the writes really race in the database.
    const clients = Array.from({ length: writers }, () => userStateClient(fixture.server.baseUrl));
    await Promise.all(
      clients.map(async (client, writer) => {
        for (let round = 0; round < roundsPerWriter; round += 1) {
          await client.setMany({ username, updates: [{ blockKey: key, fields: { [`writer${writer}`]: String(round), [`w${writer}r${round}`]: "true" } }] });
        }
      }),
    );
    const [message] = await collect(fixture.client.getMany({ username, blockKeys: [key] }));
    const fields = message!.blockStates[0]!.fields;
    expect(Object.keys(fields)).toHaveLength(writers * (roundsPerWriter + 1));
    for (let writer = 0; writer < writers; writer += 1) {
      expect(fields[`writer${writer}`]).toBe(String(roundsPerWriter - 1));
      for (let round = 0; round < roundsPerWriter; round += 1) expect(fields[`w${writer}r${round}`]).toBe("true");
    }
    const history = await collect(fixture.client.getHistory({ username, blockKey: key }));
    expect(history.flatMap((batch) => batch.entries)).toHaveLength(writers * roundsPerWriter);
  });
});
