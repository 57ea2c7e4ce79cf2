/** Counts of what cleaning replaced, by kind (email, phone, secret, mention …). */
export type Counts = Record<string, number>;

/** Adds one `kind` to `counts`, creating the record on first use (most texts need none). */
export function bump(counts: Counts | undefined, kind: string, by = 1): Counts {
  const out = counts ?? {};
  out[kind] = (out[kind] ?? 0) + by;
  return out;
}
