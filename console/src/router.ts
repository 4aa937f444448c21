import { useEffect, useState } from "preact/hooks";

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
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseHash(location.hash));
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return route;
}

export function thingHref(thing: string, shadow?: string): string {
  return `#/things/${encodeURIComponent(thing)}${shadow ? `?shadow=${encodeURIComponent(shadow)}` : ""}`;
}

/** The thing page scrolled to its inventory attributes. */
export function inventoryHref(thing: string): string {
  return `#/things/${encodeURIComponent(thing)}?view=inventory`;
}
