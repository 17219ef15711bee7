import type { StreamResponse, UnaryResponse } from "@connectrpc/connect";

/**
 * Runs `ended` when the call has answered: at once for a unary response,
 * after the last message for a stream. A stream that fails mid-way calls
 * `failed` instead, and throws what it returns.
 */
export function onCallEnd<T extends UnaryResponse | StreamResponse>(response: T, ended: () => void, failed: (error: unknown) => unknown): T {
  if (!response.stream) {
    ended();
    return response;
  }
  const messages = response.message;
  return {
    ...response,
    message: (async function* () {
      try {
        yield* messages;
        ended();
      } catch (error) {
        throw failed(error);
      }
    })(),
  };
}
