import type { AsideEncoding } from "./aside-encoding.js";
import { InvalidKeyError } from "./invalid-key-error.js";
import { parseRegisteredKey } from "./key-registry.js";
import type { KeyFamilyTypes } from "./key-types.js";

/** The families whose keys aside keys wrap, with the noun their messages use. */
const WRAPPED_NOUNS = { UsageKey: "usage key", DefinitionKey: "definition key" } as const;

/** A family whose keys aside keys wrap: usage keys (aside usage keys) or definition keys (aside definition keys). */
export type AsideWrappedFamily = keyof typeof WRAPPED_NOUNS;

/** The parts of an aside key body: the wrapped key and the aside type. */
export interface AsideBody<F extends AsideWrappedFamily> {
  readonly wrapped: KeyFamilyTypes[F];
  readonly asideType: string;
}

/**
 * Parses the body of an aside key written in `encoding`: the wrapped key of `family`
 * and the aside type. Throws InvalidKeyError about `input` if the body is badly
 * escaped, the wrapped key does not parse (explained in terms of the whole input), or
 * the encoding cannot wrap that key.
 */
export function parseAsideBody<F extends AsideWrappedFamily>(
  family: F,
  encoding: AsideEncoding,
  body: string,
  input: string,
): AsideBody<F> {
  const [text, asideType] = encoding.split(body, input);
  const noun = WRAPPED_NOUNS[family];
  let wrapped: KeyFamilyTypes[F];
  try {
    wrapped = parseRegisteredKey(family, text);
  } catch (error) {
    if (error instanceof InvalidKeyError) {
      throw new InvalidKeyError(input, `the wrapped ${noun} ${JSON.stringify(text.slice(0, 80))} is invalid: ${error.reason}`);
    }
    throw error;
  }
  const problem = encoding.wrapProblem(wrapped, noun);
  if (problem !== undefined) throw new InvalidKeyError(input, problem);
  return { wrapped, asideType };
}
