import { expect } from "vitest";

/** Every sample of the Prometheus text exposition at `metricsUrl`, by `name{labels}`. */
export async function scrapeMetrics(metricsUrl: string): Promise<Map<string, number>> {
  const response = await fetch(metricsUrl);
  expect(response.status).toBe(200);
  const samples = new Map<string, number>();
  for (const line of (await response.text()).split("\n")) {
    const match = /^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?) (\S+)$/u.exec(line);
    if (match) samples.set(match[1]!, Number(match[2]));
  }
  return samples;
}
