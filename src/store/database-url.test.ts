import { describe, expect, it } from "vitest";
import { parseDatabaseUrl } from "./database-url.js";

describe("parseDatabaseUrl()", () => {
  it("should read libpq's multi-host form with its hosts in order and target_session_attrs", () => {
    const url = parseDatabaseUrl("postgres://app:s%40cret@db1:5432,db2:5433,[::1]:5434/learnerstate?target_session_attrs=read-write&sslmode=disable");
    expect(url.hosts).toEqual(["db1:5432", "db2:5433", "[::1]:5434"]);
    expect(url.target).toBe("read-write");
    expect(url.urlFor("db2:5433")).toBe("postgres://app:s%40cret@db2:5433/learnerstate?sslmode=disable");
  });

  it("should take a single-host URL as one host with target any, and keep it as it was", () => {
    const url = parseDatabaseUrl("postgresql://postgres@127.0.0.1:5432/test");
    expect(url.hosts).toEqual(["127.0.0.1:5432"]);
    expect(url.target).toBe("any");
    expect(url.urlFor("127.0.0.1:5432")).toBe("postgresql://postgres@127.0.0.1:5432/test");
  });

  it("should accept target primary, and a URL without user or port", () => {
    const url = parseDatabaseUrl("postgres://a,b/db?target_session_attrs=primary");
    expect(url.hosts).toEqual(["a", "b"]);
    expect(url.target).toBe("primary");
    expect(url.urlFor("b")).toBe("postgres://b/db");
  });

  it("should refuse what it cannot honour, without repeating credentials", () => {
    expect(() => parseDatabaseUrl("mysql://db/x")).toThrow(/postgres:\/\//u);
    expect(() => parseDatabaseUrl("postgres://user:secret@db1,,db2/x")).toThrow(/empty host/u);
    expect(() => parseDatabaseUrl("postgres://user:secret@db1,,db2/x")).not.toThrow(/secret/u);
    expect(() => parseDatabaseUrl("postgres://db1,db2/x?target_session_attrs=prefer-standby")).toThrow(/prefer-standby is not supported/u);
  });
});
