export { contextsOfCourseKey, contextsOfUsageKeys } from "./access-request.js";
export type { AccessRequest, ContextRef } from "./access-request.js";
export { decide } from "./policy.js";
export type { Decision } from "./policy.js";
export { describePrincipal } from "./principal.js";
export type { Principal } from "./principal.js";
export { createTokenVerifier } from "./token-verifier.js";
export type { TokenVerifier, TokenVerifierOptions } from "./token-verifier.js";
