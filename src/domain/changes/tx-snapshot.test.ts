import { describe, expect, it } from "vitest";
import { expiredBy, positionAt } from "./feed-position.js";
import { covers, finishedIn, parseTxSnapshot } from "./tx-snapshot.js";

const snapshot = (text: string) => {
  const parsed = parseTxSnapshot(text);
  if (parsed === null) throw new Error(`not a snapshot: ${text}`);
  return parsed;
};

describe("transaction snapshots", () => {
  it("parse PostgreSQL's text form and refuse anything else", () => {
    expect(snapshot("10:20:12,15")).toMatchObject({ xmin: 10n, xmax: 20n, running: [12n, 15n] });
    expect(snapshot("7:7:")).toMatchObject({ xmin: 7n, xmax: 7n, running: [] });
    for (const text of ["", "1:2", "5:3:", "10:20:9", "10:20:20", "10:20:15,12", "10:20:12,12", "a:b:", "1:2:3 "]) expect(parseTxSnapshot(text)).toBeNull();
  });

  it("tell finished transactions as pg_visible_in_snapshot does", () => {
    const at = snapshot("10:20:12,15");
    expect([9n, 10n, 11n, 12n, 15n, 19n, 20n, 25n].map((xid) => finishedIn(xid, at))).toEqual([true, true, true, false, false, true, false, false]);
  });

  it("order snapshots of one database: a later one covers an earlier one, never the reverse", () => {
    const earlier = snapshot("10:20:12,15");
    const later = snapshot("15:30:15,22");
    expect(covers(later, earlier)).toBe(true);
    expect(covers(earlier, later)).toBe(false);
    expect(covers(earlier, earlier)).toBe(true);
    // 12 finished in `earlier`'s view of a database that still runs it: not a later snapshot of the same history.
    expect(covers(snapshot("11:25:11,12"), snapshot("10:20:11"))).toBe(false);
    // The same xmax, fewer transactions running: later.
    expect(covers(snapshot("10:20:15"), snapshot("10:20:12,15"))).toBe(true);
  });
});

describe("positions and retention", () => {
  it("count a position expired when retention passed a transaction it had not seen finished", () => {
    const position = positionAt(snapshot("10:20:12,15"));
    expect(expiredBy(position, 0n)).toBe(false);
    expect(expiredBy(position, 12n)).toBe(false); // everything below 12 was finished in it
    expect(expiredBy(position, 13n)).toBe(true); // 12 was running: its changes may be gone
    expect(expiredBy(positionAt(snapshot("10:20:")), 20n)).toBe(false);
    expect(expiredBy(positionAt(snapshot("10:20:")), 21n)).toBe(true);
  });
});
