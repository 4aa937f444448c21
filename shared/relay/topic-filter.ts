/**
 * MQTT topic filter matching for `relayTopics` (`+` one level, `#` the rest; a filter starting with a
 * wildcard never matches a `$` topic, [MQTT-4.7.2-1]). Pure.
 */
export function topicMatches(filter: string, topic: string): boolean {
  if (topic.startsWith("$") && (filter.startsWith("+") || filter.startsWith("#"))) return false;
  const f = filter.split("/");
  const t = topic.split("/");
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === "#") return true;
    if (i >= t.length) return false;
    if (level !== "+" && level !== t[i]) return false;
  }
  return f.length === t.length;
}

/** A filter is valid when `#` is last and alone in its level and `+` is alone in its level. */
export function isValidFilter(filter: string): boolean {
  if (filter === "") return false;
  const levels = filter.split("/");
  return levels.every(
    (l, i) => (l === "#" && i === levels.length - 1) || l === "+" || (!l.includes("#") && !l.includes("+")),
  );
}

/**
 * Whether a parent republishes a relayed message on this topic. Never a `$` topic: those are the
 * node's own protocols (shadow replies and deltas, presence, other children's relay frames), which
 * its clients trust to come from the node; a site could otherwise forge them. No wildcards, no NUL.
 */
export function isRelayableTopic(topic: string): boolean {
  return (
    topic !== "" &&
    !topic.startsWith("$") &&
    !topic.includes("+") &&
    !topic.includes("#") &&
    !topic.includes("\u0000")
  );
}
