// The server's /metrics as numbers, for the scenarios that count on its side.

/** Every learnerstate_ sample of the server's /metrics, by its name and labels as written (`name{label="value"}`). */
export async function scrapeMetrics(metricsUrl: string): Promise<Map<string, number>> {
  const samples = new Map<string, number>();
  for (const line of (await (await fetch(metricsUrl)).text()).split("\n")) {
    const match = /^(learnerstate_\w+(?:\{[^}]*\})?) (\S+)$/u.exec(line);
    if (match) samples.set(match[1]!, Number(match[2]));
  }
  return samples;
}

/** The sum of the samples of `name` whose labels contain every one of `labels` (`method="GetMany"`). */
export function sumOf(samples: ReadonlyMap<string, number>, name: string, ...labels: string[]): number {
  let sum = 0;
  for (const [key, value] of samples) {
    if ((key === name || key.startsWith(`${name}{`)) && labels.every((label) => key.includes(label))) sum += value;
  }
  return sum;
}
