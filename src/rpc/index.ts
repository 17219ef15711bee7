export { encodeErrorInfo, errorDomain } from "./error-info.js";
export type { RawDetail } from "./error-info.js";
export { installExactTextEncoding } from "./exact-text-encoding.js";
export { createKeyService } from "./key-service.js";
export { createResumeTokenCodec } from "./resume-token.js";
export type { ResumeTokenCodec } from "./resume-token.js";
export { toConnectError } from "./to-connect-error.js";
export { createUserStateService } from "./user-state-service.js";
