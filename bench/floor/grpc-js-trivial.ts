// Floor 2: @grpc/grpc-js's server with a handler that answers the fixed
// message as raw bytes (no decoding, no encoding).
import * as grpc from "@grpc/grpc-js";
import { announce, fixedAnswer, portArgument } from "./fixed-answer.js";

const { bytes } = await fixedAnswer();
const answer = Buffer.from(bytes);
const raw = (value: Buffer) => value;
const definition: grpc.ServiceDefinition = {
  DescribeKey: {
    path: "/learnerstate.v1.KeyService/DescribeKey",
    requestStream: false,
    responseStream: false,
    requestSerialize: raw,
    requestDeserialize: raw,
    responseSerialize: raw,
    responseDeserialize: raw,
  },
};
const port = portArgument();
const server = new grpc.Server();
server.addService(definition, { DescribeKey: (_call: unknown, callback: grpc.sendUnaryData<Buffer>) => callback(null, answer) });
server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error) => {
  if (error !== null) throw error;
  announce(port);
});
