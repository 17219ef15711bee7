import type { Client } from "@connectrpc/connect";
import type pg from "pg";
import type { SetManyResponse, UserStateService } from "../../gen/learnerstate/v1/user_state_service_pb.js";
import { blockKey, unique } from "./fixture.js";

/** A SetMany kept in flight by a row lock that another connection holds. */
export interface HeldWrite {
  readonly username: string;
  readonly key: string;
  /** The held SetMany (of `n: "1"` over a stored `n: "0"`); it settles after {@link release}, or when the server gives up on it. */
  readonly call: Promise<SetManyResponse>;
  /** Lets go of the row lock (rolling back the locking transaction). */
  release(): Promise<void>;
}

/**
 * Writes a new block through `client`, locks its row from a connection of
 * `db`, and starts a second write of it, which waits for the lock.
 */
export async function holdWrite(client: Client<typeof UserStateService>, db: pg.Pool): Promise<HeldWrite> {
  const username = unique("learner");
  const key = blockKey(`course-v1:${unique("Org")}+Held+2026`, "problem", "p");
  await client.setMany({ username, updates: [{ blockKey: key, fields: { n: "0" } }] });
  const locker = await db.connect();
  await locker.query("begin");
  await locker.query("select 1 from user_state where username = $1 for update", [username]);
  const call = client.setMany({ username, updates: [{ blockKey: key, fields: { n: "1" } }] });
  return {
    username,
    key,
    call,
    async release() {
      await locker.query("rollback");
      locker.release();
    },
  };
}
