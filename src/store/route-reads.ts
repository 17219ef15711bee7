import { LearnerStateError } from "../domain/errors.js";
import type { CallLimits } from "../domain/state/index.js";

/** A standby's implementation of a port, and whether it takes reads now. */
export interface ReadReplica<Port> {
  readonly port: Port;
  usable(): boolean;
}

/** The names of `Port`'s methods that take the call's limits first and return a promise. */
export type CallMethod<Port> = {
  [Name in keyof Port]: Port[Name] extends (call: CallLimits, ...rest: never[]) => Promise<unknown> ? Name : never;
}[keyof Port];

type AnyCallMethod = (call: CallLimits, ...rest: unknown[]) => Promise<unknown>;

/**
 * A port whose `methods` run on a usable standby and every other method on
 * `primary`. A call stays where its first read went (its pages see one
 * server's history); if that standby stops being usable, or a read there
 * fails as "unavailable", the call goes on on the primary, which holds
 * everything a standby has, and stays there. With no usable standby, reads
 * go to the primary. Standbys take turns. `primary`'s own enumerable methods
 * are what the result has (ports are plain objects).
 */
export function routeReads<Port extends object>(primary: Port, replicas: ReadonlyArray<ReadReplica<Port>>, methods: ReadonlyArray<CallMethod<Port>>): Port {
  if (replicas.length === 0) return primary;
  // Per call: the standby it reads from, or null once it went to the primary.
  const placed = new WeakMap<CallLimits, ReadReplica<Port> | null>();
  let turn = 0;

  const place = (call: CallLimits): ReadReplica<Port> | null => {
    const earlier = placed.get(call);
    if (earlier === null || earlier?.usable()) return earlier;
    let chosen: ReadReplica<Port> | null = null;
    if (earlier === undefined) {
      for (let tried = 0; tried < replicas.length && chosen === null; tried += 1) {
        const candidate = replicas[turn++ % replicas.length]!;
        if (candidate.usable()) chosen = candidate;
      }
    }
    placed.set(call, chosen);
    return chosen;
  };

  const routed = { ...primary };
  for (const method of methods) {
    const onPrimary = primary[method] as AnyCallMethod;
    const route: AnyCallMethod = async (call, ...rest) => {
      const replica = place(call);
      if (replica !== null) {
        try {
          return await (replica.port[method] as AnyCallMethod)(call, ...rest);
        } catch (error) {
          if (!(error instanceof LearnerStateError && error.kind === "unavailable")) throw error;
          placed.set(call, null);
        }
      }
      return onPrimary(call, ...rest);
    };
    routed[method] = route as Port[typeof method];
  }
  return routed;
}
