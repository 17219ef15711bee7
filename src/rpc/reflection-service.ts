import { create, toBinary, type DescFile, type DescMessage, type DescService, type MessageInitShape } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, type ServiceImpl } from "@connectrpc/connect";
import {
  ServerReflection,
  ServerReflectionResponseSchema,
  type ServerReflectionRequest,
} from "../../gen/grpc/reflection/v1/reflection_pb.js";

/** Every file the services need, by name, and the file that declares each symbol. */
interface DescriptorIndex {
  readonly files: ReadonlyMap<string, DescFile>;
  readonly symbols: ReadonlyMap<string, DescFile>;
}

function indexDescriptors(services: readonly DescService[]): DescriptorIndex {
  const files = new Map<string, DescFile>();
  const symbols = new Map<string, DescFile>();
  const addMessage = (file: DescFile, message: DescMessage): void => {
    symbols.set(message.typeName, file);
    for (const nestedEnum of message.nestedEnums) symbols.set(nestedEnum.typeName, file);
    for (const nested of message.nestedMessages) addMessage(file, nested);
  };
  const addFile = (file: DescFile): void => {
    if (files.has(file.proto.name)) return;
    files.set(file.proto.name, file);
    for (const message of file.messages) addMessage(file, message);
    for (const enumeration of file.enums) symbols.set(enumeration.typeName, file);
    for (const service of file.services) {
      symbols.set(service.typeName, file);
      for (const method of service.methods) symbols.set(`${service.typeName}.${method.name}`, file);
    }
    file.dependencies.forEach(addFile);
  };
  for (const service of services) addFile(service.file);
  return { files, symbols };
}

/** `file` and every file it imports, directly or not, each serialized once, `file` first. */
function withDependencies(file: DescFile): Uint8Array[] {
  const seen = new Set<string>();
  const serialized: Uint8Array[] = [];
  const visit = (current: DescFile): void => {
    if (seen.has(current.proto.name)) return;
    seen.add(current.proto.name);
    serialized.push(toBinary(FileDescriptorProtoSchema, current.proto));
    current.dependencies.forEach(visit);
  };
  visit(file);
  return serialized;
}

/**
 * Implements grpc.reflection.v1.ServerReflection for `services`: lists them
 * and serves the descriptors of their files (with imports) by file name or by
 * symbol. Extension queries are answered UNIMPLEMENTED: the contract declares
 * no extensions.
 */
export function createReflectionService(services: readonly DescService[]): ServiceImpl<typeof ServerReflection> {
  const index = indexDescriptors(services);
  const names = services.map((service) => service.typeName);

  function answer(request: ServerReflectionRequest): MessageInitShape<typeof ServerReflectionResponseSchema>["messageResponse"] {
    const question = request.messageRequest;
    const notFound = (what: string) => ({ case: "errorResponse" as const, value: { errorCode: Code.NotFound, errorMessage: `${what} not found` } });
    switch (question.case) {
      case "listServices":
        return { case: "listServicesResponse", value: { service: names.map((name) => ({ name })) } };
      case "fileByFilename": {
        const file = index.files.get(question.value);
        return file ? { case: "fileDescriptorResponse", value: { fileDescriptorProto: withDependencies(file) } } : notFound(`file ${question.value}`);
      }
      case "fileContainingSymbol": {
        const file = index.symbols.get(question.value);
        return file ? { case: "fileDescriptorResponse", value: { fileDescriptorProto: withDependencies(file) } } : notFound(`symbol ${question.value}`);
      }
      default:
        return { case: "errorResponse", value: { errorCode: Code.Unimplemented, errorMessage: "extension queries are not supported" } };
    }
  }

  return {
    async *serverReflectionInfo(requests) {
      for await (const request of requests) {
        yield create(ServerReflectionResponseSchema, { validHost: request.host, originalRequest: request, messageResponse: answer(request) });
      }
    },
  };
}
