import { describe, expect, it } from "vitest";
import { collect, userStateClient, type Encoding, type Protocol } from "./support/clients.js";
import { blockKey, unique, useServer } from "./support/fixture.js";

const fixture = useServer();

const protocols = ["grpc", "grpc-web", "connect"] satisfies Protocol[];

describe("one port, three protocols", () => {
  for (const protocol of protocols) {
    it(`answers ${protocol} clients, unary and streaming`, async () => {
      const client = userStateClient(fixture.server.baseUrl, protocol);
      const username = unique("learner");
      const key = blockKey(`course-v1:${unique("Org")}+Proto+2026`, "problem", protocol);
      await client.setMany({ username, updates: [{ blockKey: key, fields: { via: JSON.stringify(protocol) } }] });
      const messages = await collect(client.getMany({ username, blockKeys: [key] }));
      expect(messages.flatMap((message) => message.blockStates.map((state) => state.fields))).toEqual([{ via: JSON.stringify(protocol) }]);
    });
  }

  // Binary bulk responses are written by the server's own BlockState encoder,
  // JSON ones by protobuf-es: both must carry the same states.
  it("returns the same bulk reads in binary and in JSON, over every protocol", async () => {
    const course = `course-v1:${unique("Org")}+Wire+2026`;
    const username = unique("lérner_中");
    const keys = ["ascii", "unicode", "long"].map((id) => blockKey(course, "problem", id));
    const fields: Array<Record<string, string>> = [
      { attempts: "3", done: "true", student_answers: '{"q_2_1":"choice_2"}' },
      { "réponse 中": '"𝒜 é \\t \\ud83d\\ude00"', seed: "-9007199254740993" },
      { empty: '""', long: JSON.stringify("x".repeat(20_000)), deep: JSON.stringify({ a: [1, { b: "é".repeat(200) }] }) },
    ];
    await userStateClient(fixture.server.baseUrl).setMany({ username, updates: keys.map((key, index) => ({ blockKey: key, fields: fields[index]! })) });

    const encodings: Array<[Protocol, Encoding]> = protocols.flatMap((protocol) => (["binary", "json"] as const).map((encoding): [Protocol, Encoding] => [protocol, encoding]));
    const reads = await Promise.all(
      encodings.map(async ([protocol, encoding]) => {
        const client = userStateClient(fixture.server.baseUrl, protocol, { encoding });
        const getMany = await collect(client.getMany({ username, blockKeys: keys }));
        const iterated = await collect(client.iterAllForCourse({ courseKey: course, batchSize: 2 }));
        return {
          getMany: getMany.flatMap((message) => message.blockStates),
          iterated: iterated.flatMap((message) => message.blockStates),
          resumeTokens: iterated.map((message) => message.resumeToken),
        };
      }),
    );
    // PostgreSQL's jsonb re-spells values (spacing, escapes), so compare what they mean.
    const parsed = (values: Record<string, string>) => Object.fromEntries(Object.entries(values).map(([name, text]) => [name, JSON.parse(text) as unknown]));
    const [reference, ...others] = reads;
    expect(reference!.getMany.map((state) => parsed(state.fields))).toEqual(fields.map(parsed));
    expect(reference!.iterated.map((state) => [state.username, state.blockKey, parsed(state.fields)])).toEqual(keys.map((key, index) => [username, key, parsed(fields[index]!)]));
    expect(reference!.resumeTokens).toHaveLength(2);
    for (const read of others) expect(read).toEqual(reference);
  });
});
