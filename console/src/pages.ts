import type { FunctionComponent } from "preact";
import { FleetPage } from "./pages/fleet.ts";
import { IdentitiesPage } from "./pages/identities.ts";
import { SitesPage } from "./pages/sites.ts";
import { ThingPage } from "./pages/thing.ts";
import type { Route } from "./router.ts";
import type { Session } from "./session.ts";

export interface PageProps {
  route: Route;
  session: Session;
}

export interface PageDef {
  /** The route's first segment. */
  page: string;
  title: string;
  /** Shown in the navigation bar (the thing page is reached from the fleet). */
  nav: boolean;
  component: FunctionComponent<PageProps>;
}

/**
 * The console's pages. A page whose API has not landed yet is not listed (docs/console.md names
 * them: systems, alarms, jobs, and the thing page's history tab); each slots in here as one entry.
 */
export const PAGES: readonly PageDef[] = [
  { page: "", title: "Fleet", nav: true, component: FleetPage },
  { page: "things", title: "Thing", nav: false, component: ThingPage },
  { page: "sites", title: "Sites", nav: true, component: SitesPage },
  { page: "identities", title: "Identities", nav: true, component: IdentitiesPage },
];
