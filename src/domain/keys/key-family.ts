/**
 * The parser families of the Python library (`<Family>.from_string`): each family
 * accepts the namespaces registered for it, plus an optional deprecated fallback form.
 */
export type KeyFamily =
  | "CourseKey"
  | "UsageKey"
  | "LearningContextKey"
  | "DefinitionKey"
  | "AssetKey"
  | "AsideUsageKey"
  | "AsideDefinitionKey"
  | "CollectionKey"
  | "ContainerKey"
  | "BlockTypeKey";

/** Every {@link KeyFamily}, in the order the reference vectors list them. */
export const KEY_FAMILIES: readonly KeyFamily[] = [
  "CourseKey",
  "UsageKey",
  "LearningContextKey",
  "DefinitionKey",
  "AssetKey",
  "AsideUsageKey",
  "AsideDefinitionKey",
  "CollectionKey",
  "ContainerKey",
  "BlockTypeKey",
];

/** True if `value` names a {@link KeyFamily}; false for anything else (including other casing). */
export function isKeyFamily(value: unknown): value is KeyFamily {
  return typeof value === "string" && (KEY_FAMILIES as readonly string[]).includes(value);
}
