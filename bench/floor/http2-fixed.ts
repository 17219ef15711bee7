// Floor 1: node:http2's stream API answering every call with the fixed gRPC
// message, framed by hand. What the runtime costs per call, and no more.
import http2 from "node:http2";
import { announce, fixedAnswer, portArgument } from "./fixed-answer.js";

const { bytes } = await fixedAnswer();
const frame = Buffer.alloc(5 + bytes.length);
frame.writeUInt32BE(bytes.length, 1);
frame.set(bytes, 5);
const port = portArgument();
const server = http2.createServer();
server.on("stream", (stream) => {
  stream.on("error", () => undefined);
  stream.resume();
  stream.once("end", () => {
    stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
    stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
    stream.end(frame);
  });
});
server.listen(port, "127.0.0.1", () => announce(port));
