// Floor 3: connect-node as the service uses it (http2.createServer and
// connectNodeAdapter), with no interceptors and a handler that returns the
// fixed message.
import http2 from "node:http2";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { KeyService } from "../../gen/learnerstate/v1/key_service_pb.js";
import { announce, fixedAnswer, portArgument } from "./fixed-answer.js";

const { message } = await fixedAnswer();
const port = portArgument();
const handler = connectNodeAdapter({ routes: (router) => router.service(KeyService, { describeKey: () => message }) });
http2.createServer(handler).listen(port, "127.0.0.1", () => announce(port));
