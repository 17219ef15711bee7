import cliProgress from "cli-progress";

/** Rows written so far, shown to a person watching. */
export interface ExportProgress {
  add(rows: number): void;
  stop(): void;
}

/**
 * A progress line on stderr (cli-progress) with rows, rows/s and elapsed
 * time, when stderr is a terminal; nothing otherwise (in pipes, logs, CI).
 * The course's size is unknown up front, so there is no bar to fill.
 */
export function exportProgress(stream: NodeJS.WriteStream = process.stderr): ExportProgress {
  if (!stream.isTTY) return { add() {}, stop() {} };
  const started = performance.now();
  let rows = 0;
  const line = new cliProgress.SingleBar({
    stream,
    format: "exported {value} rows | {rate} rows/s | {duration_formatted}",
    hideCursor: true,
    clearOnComplete: false,
  });
  line.start(0, 0, { rate: "0" });
  const rate = () => String(Math.round(rows / Math.max((performance.now() - started) / 1000, 0.001)));
  return {
    add(more) {
      rows += more;
      line.update(rows, { rate: rate() });
    },
    stop() {
      line.update(rows, { rate: rate() });
      line.stop();
    },
  };
}
