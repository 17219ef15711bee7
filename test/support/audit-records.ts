import type { ServerProcess } from "./server-process.js";

/** The audit records the server has logged so far: its JSON log lines with `"channel":"audit"`, in order. */
export function auditRecords(server: ServerProcess): Array<Record<string, unknown>> {
  return server.output
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        return null;
      }
    })
    .filter((record): record is Record<string, unknown> => record !== null && record["channel"] === "audit");
}
