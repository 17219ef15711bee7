import type * as http2 from "node:http2";
import { Http2SessionManager } from "@connectrpc/connect-node";

/**
 * How much the server may send before the client has read it: per stream
 * (SETTINGS_INITIAL_WINDOW_SIZE) and per connection. HTTP/2 starts both at
 * 64 KiB, which holds a tenth of one 1,000-state message of a bulk read, so
 * the server waited for a window update from the client every 64 KiB: an
 * export of a whole course spent a fifth of its time with both sides idle.
 * A stream's window holds a few 1,000-state messages; the connection's, four
 * such streams.
 */
export const receiveWindows = { streamBytes: 2 * 1024 * 1024, connectionBytes: 8 * 1024 * 1024 } as const;

/** `options` with the stream window of {@link receiveWindows}. */
function withStreamWindow(options: http2.ClientSessionOptions | http2.SecureClientSessionOptions): http2.ClientSessionOptions | http2.SecureClientSessionOptions {
  return { ...options, settings: { ...options.settings, initialWindowSize: receiveWindows.streamBytes } };
}

/**
 * connect-node's session manager, whose sessions also get the connection
 * window of {@link receiveWindows} (Node has no option for it: it is set on
 * a session once it exists, before its first stream's data can arrive).
 * It has the shape of connect-node's `sessionManager` transport option.
 */
export class WideWindowSessions {
  private readonly sessions: Http2SessionManager;
  private readonly widened = new WeakSet<http2.ClientHttp2Session>();

  constructor(url: string, options: http2.ClientSessionOptions | http2.SecureClientSessionOptions) {
    this.sessions = new Http2SessionManager(url, {}, withStreamWindow(options));
  }

  get authority(): string {
    return this.sessions.authority;
  }

  async request(method: string, path: string, headers: http2.OutgoingHttpHeaders, options: Omit<http2.ClientSessionRequestOptions, "signal">): Promise<http2.ClientHttp2Stream> {
    const stream = await this.sessions.request(method, path, headers, options);
    const session = stream.session as http2.ClientHttp2Session | undefined;
    if (session !== undefined && !session.destroyed && !this.widened.has(session)) {
      this.widened.add(session);
      session.setLocalWindowSize(receiveWindows.connectionBytes);
    }
    return stream;
  }

  notifyResponseByteRead(stream: http2.ClientHttp2Stream): void {
    this.sessions.notifyResponseByteRead(stream);
  }
}
