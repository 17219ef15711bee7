import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

// Summarises a V8 .cpuprofile (as written by profiler-preload.mjs): where the
// server's main thread spent its samples, by area (package or source
// directory) and by function, self time only.

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

const repoRoot = fileURLToPath(new URL("..", import.meta.url));

/** The package or source area a frame belongs to. */
export function areaOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === "") {
    if (functionName === "(idle)") return "(idle)";
    if (functionName === "(garbage collector)") return "(garbage collector)";
    if (functionName === "(program)") return "(program: V8/native)";
    return "(V8 builtins: JSON, RegExp, ...)";
  }
  const modules = url.lastIndexOf("/node_modules/");
  if (modules >= 0) {
    const rest = url.slice(modules + "/node_modules/".length).split("/");
    return rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith("node:internal/http2") || url.startsWith("node:http2")) return "node:http2";
  if (url.startsWith("node:internal/streams") || url.startsWith("node:stream")) return "node:streams";
  if (url.startsWith("node:")) return "node:(other internals)";
  const local = url.startsWith("file://") ? fileURLToPath(url) : url;
  if (local.startsWith(repoRoot)) {
    const relative = local.slice(repoRoot.length);
    const parts = relative.split("/");
    return parts.length > 2 ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  return url;
}

/** Time in milliseconds per area (self) and per function (self, and inclusive of callees), busiest first. */
export interface ProfileSummary {
  readonly totalMs: number;
  readonly byArea: Array<{ area: string; ms: number }>;
  readonly byFunction: Array<{ name: string; area: string; ms: number }>;
  readonly inclusive: Array<{ name: string; area: string; ms: number }>;
}

const nameOf = (frame: CallFrame) => {
  const file = frame.url.split("/").pop() ?? "";
  return `${frame.functionName || "(anonymous)"}${file ? ` ${file}:${frame.lineNumber + 1}` : ""}`;
};

export function summarise(profile: CpuProfile): ProfileSummary {
  const selfMs = new Map<number, number>();
  if (profile.samples && profile.timeDeltas) {
    // Each sample is charged the time until the next one.
    for (let index = 0; index < profile.samples.length; index += 1) {
      const delta = (profile.timeDeltas[index + 1] ?? 0) / 1000;
      const node = profile.samples[index]!;
      selfMs.set(node, (selfMs.get(node) ?? 0) + delta);
    }
  } else {
    const interval = (profile.endTime - profile.startTime) / 1000 / Math.max(1, profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0));
    for (const node of profile.nodes) selfMs.set(node.id, (node.hitCount ?? 0) * interval);
  }
  const areas = new Map<string, number>();
  const functions = new Map<string, { name: string; area: string; ms: number }>();
  let totalMs = 0;
  for (const node of profile.nodes) {
    const ms = selfMs.get(node.id) ?? 0;
    if (ms === 0) continue;
    totalMs += ms;
    const area = areaOf(node.callFrame);
    areas.set(area, (areas.get(area) ?? 0) + ms);
    const name = nameOf(node.callFrame);
    const entry = functions.get(name) ?? { name, area, ms: 0 };
    entry.ms += ms;
    functions.set(name, entry);
  }
  // Inclusive: each node's self time is charged once to every distinct function on its stack.
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const inclusive = new Map<string, { name: string; area: string; ms: number }>();
  for (const [id, ms] of selfMs) {
    if (ms === 0) continue;
    const seen = new Set<string>();
    for (let current: number | undefined = id; current !== undefined; current = parents.get(current)) {
      const node = byId.get(current)!;
      const name = nameOf(node.callFrame);
      if (seen.has(name)) continue;
      seen.add(name);
      const entry = inclusive.get(name) ?? { name, area: areaOf(node.callFrame), ms: 0 };
      entry.ms += ms;
      inclusive.set(name, entry);
    }
  }
  return {
    totalMs,
    byArea: [...areas].map(([area, ms]) => ({ area, ms })).sort((a, b) => b.ms - a.ms),
    byFunction: [...functions.values()].sort((a, b) => b.ms - a.ms),
    inclusive: [...inclusive.values()].sort((a, b) => b.ms - a.ms),
  };
}

/** A printable summary of the profile at `file`: the areas and the `top` busiest functions, as shares of the samples. */
export async function describeProfile(file: string, top = 15, inclusiveTop = 0): Promise<string> {
  const summary = summarise(JSON.parse(await readFile(file, "utf8")) as CpuProfile);
  const busy = summary.totalMs - (summary.byArea.find((entry) => entry.area === "(idle)")?.ms ?? 0);
  const share = (ms: number) => `${((100 * ms) / summary.totalMs).toFixed(1).padStart(5)}%`;
  const lines = [`${file}: ${(summary.totalMs / 1000).toFixed(1)} s sampled, ${share(busy).trim()} busy`];
  const memory = await readFile(file.replace(/\.cpuprofile$/u, ".memory.json"), "utf8").then(
    (text) => JSON.parse(text) as Record<string, number>,
    () => null,
  );
  if (memory !== null) {
    const mb = (key: string) => `${((memory[key] ?? 0) / 1024 / 1024).toFixed(0)} MB`;
    lines.push(
      `  highest process.memoryUsage() seen: rss ${mb("rss")}, heapTotal ${mb("heapTotal")}, heapUsed ${mb("heapUsed")}, external ${mb("external")}, arrayBuffers ${mb("arrayBuffers")}`,
    );
  }
  lines.push("  by area (self time):");
  for (const entry of summary.byArea.filter((candidate) => candidate.ms / summary.totalMs >= 0.005)) lines.push(`    ${share(entry.ms)}  ${entry.area}`);
  lines.push(`  top ${top} functions (self time):`);
  for (const entry of summary.byFunction.filter((candidate) => candidate.area !== "(idle)").slice(0, top)) {
    lines.push(`    ${share(entry.ms)}  ${entry.name}  [${entry.area}]`);
  }
  if (inclusiveTop > 0) {
    lines.push(`  top ${inclusiveTop} functions (inclusive of what they call):`);
    for (const entry of summary.inclusive.filter((candidate) => candidate.area !== "(idle)" && candidate.name !== "(root)").slice(0, inclusiveTop)) {
      lines.push(`    ${share(entry.ms)}  ${entry.name}  [${entry.area}]`);
    }
  }
  return lines.join("\n");
}

// `npx tsx bench/profile-summary.ts <file.cpuprofile>...` prints the summaries.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const file of process.argv.slice(2)) console.log(await describeProfile(file, 25, 60));
}
