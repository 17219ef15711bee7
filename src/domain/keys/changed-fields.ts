/**
 * `current` with `changes` applied, or undefined if the changes leave every field as it
 * is (`===`). Key classes use it for `replace()`, which returns the key itself then.
 */
export function changedFields<F extends object>(current: F, changes: Partial<F>): F | undefined {
  const fields: F = { ...current, ...changes };
  const unchanged = (Object.keys(changes) as (keyof F)[]).every((name) => fields[name] === current[name]);
  return unchanged ? undefined : fields;
}
