import type { FunctionComponent } from "preact";
import { AlarmsPage } from "./pages/alarms.ts";
import { ConflictsPage } from "./pages/conflicts.ts";
import { FleetPage } from "./pages/fleet.ts";
import { IdentitiesPage } from "./pages/identities.ts";
import { JobsPage } from "./pages/jobs.ts";
import { ReviewPage } from "./pages/review.ts";
import { SitesPage } from "./pages/sites.ts";
import { SystemsPage } from "./pages/systems.ts";
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

/** The console's pages: one entry each (route, title, component), one file each in pages/. */
export const PAGES: readonly PageDef[] = [
  { page: "", title: "Fleet", nav: true, component: FleetPage },
  { page: "things", title: "Thing", nav: false, component: ThingPage },
  { page: "systems", title: "Systems", nav: true, component: SystemsPage },
  { page: "conflicts", title: "Conflicts", nav: true, component: ConflictsPage },
  { page: "alarms", title: "Alarms", nav: true, component: AlarmsPage },
  { page: "review", title: "Review", nav: false, component: ReviewPage },
  { page: "jobs", title: "Jobs", nav: true, component: JobsPage },
  { page: "sites", title: "Sites", nav: true, component: SitesPage },
  { page: "identities", title: "Identities", nav: true, component: IdentitiesPage },
];
