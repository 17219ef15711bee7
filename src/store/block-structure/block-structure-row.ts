import { defineEntity } from "@mikro-orm/core";

/**
 * The collected block structure of one course: upstream's
 * BlockStructureModel (`data_usage_key`, `data_version`,
 * `data_edit_timestamp`, `transformers_schema_version`,
 * `block_structure_schema_version`) with the structure stored in the row
 * rather than in a file. Schema only: reads and writes go through the SQL in
 * block-structure-sql.ts.
 */
export const BlockStructureRow = defineEntity({
  name: "BlockStructureRow",
  tableName: "block_structure",
  properties: (p) => ({
    id: p.bigint("string").primary().autoincrement(),
    /** The learning context; one structure per context. */
    contextKey: p.text(),
    /** Canonical usage key of the root block. */
    dataUsageKey: p.text(),
    dataVersion: p.text().nullable(),
    dataEditTimestamp: p.datetime(6),
    transformersSchemaVersion: p.text(),
    blockStructureSchemaVersion: p.text(),
    blockCount: p.integer(),
    /** Blocks whose learner state the transformers read, joined to user_state by GetTransformed. */
    stateKeys: p.array().columnType("text[]"),
    /** The collected structure's JSON (structure-codec.ts), gzip-compressed. */
    data: p.blob().columnType("bytea"),
    /** From block_structure_revision_seq, new on every write: caches compare it. */
    revision: p.bigint("string").defaultRaw("nextval('block_structure_revision_seq')"),
    created: p.datetime(6).defaultRaw("now()"),
    modified: p.datetime(6).defaultRaw("now()"),
  }),
  uniques: [{ properties: ["contextKey"], name: "block_structure_context_unique" }],
});
