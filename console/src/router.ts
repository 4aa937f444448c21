import { useEffect, useMemo, useState } from "preact/hooks";

/** Hash routes (`#/things/pdu-1`): deep links work without server routes, and the node serves one page. */
export interface Route {
  /** First path segment: "" (fleet), "things", "systems", "alarms", "jobs", … (pages.ts). */
  page: string;
  /** Remaining segments, decoded. */
  args: string[];
  query: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#\/?/, "");
  const [path = "", search = ""] = raw.split("?");
  const [page = "", ...args] = path.split("/").map((s) => decodeURIComponent(s));
  return { page, args, query: new URLSearchParams(search) };
}

export function useRoute(): Route {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    addEventListener("hashchange", on);
    // Effects run after the first paint: a hash changed between that render and now (a link followed,
    // a test's goto as soon as the page shows) fired no event this listener heard. Read it again.
    on();
    return () => removeEventListener("hashchange", on);
  }, []);
  return useMemo(() => parseHash(hash), [hash]);
}

export function thingHref(thing: string, shadow?: string): string {
  return `#/things/${encodeURIComponent(thing)}${shadow ? `?shadow=${encodeURIComponent(shadow)}` : ""}`;
}

/** The thing page scrolled to its inventory attributes. */
export function inventoryHref(thing: string): string {
  return `#/things/${encodeURIComponent(thing)}?view=inventory`;
}
