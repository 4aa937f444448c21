/**
 * The known name closest to a mistyped one, for "did you mean" hints in config errors (node settings, agent
 * and bridge configs). Flag spelling (`cache-size`, `cache_size`) and case are forgiven.
 */
export function nearestName(key: string, known: Iterable<string>): string | undefined {
  const norm = (k: string) => k.replace(/[-_]/g, "").toLowerCase();
  const wanted = norm(key);
  let best: { name: string; d: number } | undefined;
  for (const name of known) {
    const d = editDistance(wanted, norm(name));
    if (!best || d < best.d) best = { name, d };
  }
  return best && best.d <= Math.max(2, Math.floor(wanted.length / 4)) ? best.name : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        (prev[j] ?? 0) + 1,
        (row[j - 1] ?? 0) + 1,
        (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}
