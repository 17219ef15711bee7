// Loaded into the server process with NODE_OPTIONS=--import=<this file> when
// the benchmark runs with BENCH_PROFILE (node refuses --cpu-prof in
// NODE_OPTIONS, and the test helper that starts the server takes no
// arguments). Samples the main thread's CPU with the V8 profiler from the
// start; each SIGUSR2 writes what was sampled since the last one to
// <BENCH_PROFILE_DIR>/<name>.cpuprofile, where <name> is read from the file
// BENCH_PROFILE_DIR/next-name (the benchmark writes it before signalling),
// with the highest process.memoryUsage() figures seen (every 100 ms) in that
// time in <name>.memory.json, and starts sampling afresh. Plain JavaScript
// because it loads before tsx.
import { readFileSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import path from "node:path";

const directory = process.env.BENCH_PROFILE_DIR;
if (directory) {
  const session = new Session();
  session.connect();
  const post = (method, params) =>
    new Promise((resolve, reject) => session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result))));
  await post("Profiler.enable");
  await post("Profiler.setSamplingInterval", { interval: 500 });
  await post("Profiler.start");
  let highest = {};
  const sampleMemory = () => {
    for (const [key, value] of Object.entries(process.memoryUsage())) highest[key] = Math.max(highest[key] ?? 0, value);
  };
  setInterval(sampleMemory, 100).unref();
  let busy = Promise.resolve();
  process.on("SIGUSR2", () => {
    busy = busy.then(async () => {
      const { profile } = await post("Profiler.stop");
      let name = "profile";
      try {
        name = readFileSync(path.join(directory, "next-name"), "utf8").trim() || name;
      } catch {
        // No name given: keep the default.
      }
      writeFileSync(path.join(directory, `${name}.cpuprofile`), JSON.stringify(profile));
      sampleMemory();
      writeFileSync(path.join(directory, `${name}.memory.json`), JSON.stringify(highest));
      highest = {};
      writeFileSync(path.join(directory, `${name}.done`), "");
      await post("Profiler.start");
    });
  });
}
