// Courses written as outlines of `type.id` names, for block structure tests.

/** A course as an outline of `type.id` names: children and fields by name, the root first. */
export interface CourseOutline {
  readonly root: string;
  /** Every block's name (the root first). */
  readonly names: readonly string[];
  readonly children: Readonly<Record<string, readonly string[]>>;
  /** XBlock fields as JSON values. */
  readonly fields: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/** The outline of blocks given as name → children and fields; the first entry is the root. */
export function outline(blocks: Record<string, { children?: string[]; fields?: Record<string, unknown> }>): CourseOutline {
  const names = Object.keys(blocks);
  return {
    root: names[0]!,
    names,
    children: Object.fromEntries(names.map((name) => [name, blocks[name]!.children ?? []])),
    fields: Object.fromEntries(names.map((name) => [name, blocks[name]!.fields ?? {}])),
  };
}

/** The UpdateCollected blocks of `course`, named with `keyOf`. */
export function blockInputsOfOutline(course: CourseOutline, keyOf: (name: string) => string): Array<{ blockKey: string; blockType: string; children: string[]; fields: Record<string, string> }> {
  return course.names.map((name) => ({
    blockKey: keyOf(name),
    blockType: "",
    children: course.children[name]!.map(keyOf),
    fields: Object.fromEntries(Object.entries(course.fields[name]!).map(([field, value]) => [field, JSON.stringify(value)])),
  }));
}

/** The parents of each block of `course`, in the order the outline lists them. */
export function parentsIn(course: CourseOutline): Map<string, string[]> {
  const parents = new Map<string, string[]>(course.names.map((name) => [name, []]));
  for (const name of course.names) for (const child of course.children[name]!) parents.get(child)!.push(name);
  return parents;
}

/** The blocks of `within` that `root` reaches through blocks of `within`. */
export function reachableWithin(root: string, childrenOf: (name: string) => readonly string[], within: ReadonlySet<string>): Set<string> {
  const reached = new Set<string>();
  const pending = within.has(root) ? [root] : [];
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (reached.has(name)) continue;
    reached.add(name);
    for (const child of childrenOf(name)) if (within.has(child)) pending.push(child);
  }
  return reached;
}
