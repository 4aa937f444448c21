/** An alarm as `GET /alarms` answers it (shared/alarms-lifecycle.ts); times are epoch ms. */
export interface Alarm {
  id: string;
  system: string;
  rule: string;
  thing: string;
  kind: string;
  severity: "critical" | "major" | "minor" | "warning" | "info";
  site: string;
  state: "raised" | "acknowledged" | "cleared";
  summary: string;
  value?: unknown;
  raisedAt: number;
  clearedAt?: number;
  fireCount: number;
  ackedBy?: string;
  ackedAt?: number;
  shelvedUntil?: number;
}

export const severityClass = (s: Alarm["severity"]) =>
  s === "critical" || s === "major" ? "badge bad" : s === "minor" || s === "warning" ? "badge warn" : "badge";

export const alarmPath = (a: Alarm) =>
  `/alarms/${[a.system, a.rule, a.thing].map(encodeURIComponent).join("/")}`;
