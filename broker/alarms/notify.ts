import type { Aedes } from "aedes";
import { type Alarm, type AlarmEvent, isOpen, isShelved } from "../../shared/alarms-lifecycle.ts";
import type { Logger } from "../../shared/logger.ts";
import { publishFromNode } from "../mqtt/publish.ts";
import { HttpDelivery } from "./http-delivery.ts";

/** Where an alarm goes when it is raised or cleared. */
export interface AlarmNotifier {
  notify(alarm: Alarm, event: AlarmEvent): void;
  /** Open alarms, every `resendMs` (Alertmanager resolves what is not re-sent). */
  resend?(open: readonly Alarm[]): void;
  close?(): void;
}

/** `umbra/alarms/{site}/{system}/{rule}/{thing}`: not `$`, so the relay's plain topics may carry it. */
export const alarmTopic = (a: Alarm) => `umbra/alarms/${a.site}/${a.id}`;

/** Webhook: `{event, alarm}` as JSON, retried with backoff (http-delivery.ts). */
export function webhookNotifier(url: string, log: Logger): AlarmNotifier & { delivery: HttpDelivery } {
  const delivery = new HttpDelivery(url, log);
  return {
    delivery,
    notify: (alarm, event) => delivery.send({ event: event.kind, alarm }),
    close: () => delivery.close(),
  };
}

/**
 * MQTT: the alarm's record, retained while it is open (a new subscriber sees every open alarm); a
 * clear publishes the cleared record and then removes the retained copy. `relay` hands each record
 * to the site relay's outbox (the node's own publishes do not pass the relay's client hook).
 */
export function mqttNotifier(broker: Aedes, relay?: (topic: string, payload: Buffer) => void): AlarmNotifier {
  const publish = (topic: string, payload: Buffer, retain: boolean) => {
    // The record is in the alarm store already; a feed message aedes failed to store is not the alarm's.
    publishFromNode(broker, { topic, payload, retain }).catch(() => undefined);
    // Up to the parent sites (store-and-forward): the records, not the removal of a retained copy.
    if (payload.length > 0) relay?.(topic, payload);
  };
  return {
    notify(alarm) {
      // Every transition (acknowledged and shelved too): the feed is the alarm's state, not a page.
      const topic = alarmTopic(alarm);
      const payload = Buffer.from(JSON.stringify(alarm));
      if (isOpen(alarm)) return publish(topic, payload, true);
      publish(topic, payload, false);
      publish(topic, Buffer.alloc(0), true);
    },
  };
}

/** Prometheus Alertmanager API v2: `POST {base}/api/v2/alerts` with one alert per alarm. */
export function alertmanagerNotifier(
  baseUrl: string,
  log: Logger,
  generatorUrl?: string,
): AlarmNotifier & { delivery: HttpDelivery } {
  const delivery = new HttpDelivery(
    new URL("api/v2/alerts", baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`).href,
    log,
  );
  const alert = (a: Alarm) => ({
    labels: {
      alertname: a.rule,
      system: a.system,
      thing: a.thing,
      severity: a.severity,
      site: a.site,
      kind: a.kind,
    },
    annotations: {
      summary: a.summary,
      ...(a.value === undefined ? {} : { value: JSON.stringify(a.value) }),
      ...(a.ackedBy ? { acknowledgedBy: a.ackedBy } : {}),
    },
    startsAt: new Date(a.raisedAt).toISOString(),
    ...(a.state === "cleared" ? { endsAt: new Date(a.clearedAt ?? Date.now()).toISOString() } : {}),
    ...(generatorUrl ? { generatorURL: generatorUrl } : {}),
  });
  return {
    delivery,
    notify: (a) => delivery.send([alert(a)]),
    resend: (open) => {
      if (open.length > 0) delivery.send(open.map(alert));
    },
    close: () => delivery.close(),
  };
}

/**
 * The notification policy in front of every notifier: nothing for shelved alarms or for things under
 * a maintenance claim (the jobs capability's provider; none until it lands).
 */
export class AlarmNotifications {
  constructor(
    private readonly notifiers: readonly AlarmNotifier[],
    private readonly underMaintenance: (thing: string) => boolean,
    private readonly now: () => number,
  ) {}

  suppressed(a: Alarm): boolean {
    return isShelved(a, this.now()) || this.underMaintenance(a.thing);
  }

  notify(alarm: Alarm, event: AlarmEvent): void {
    if (event.kind !== "raised" && event.kind !== "cleared") return;
    if (this.suppressed(alarm)) return;
    for (const n of this.notifiers) n.notify(alarm, event);
  }

  resend(all: Iterable<Alarm>): void {
    const open = [...all].filter((a) => isOpen(a) && !this.suppressed(a));
    for (const n of this.notifiers) n.resend?.(open);
  }

  close(): void {
    for (const n of this.notifiers) n.close?.();
  }
}
