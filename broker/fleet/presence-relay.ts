import type { Presence } from "../../shared/shadow-document.ts";
import {
  type LinkState,
  NODE_WRITER,
  PRESENCE_SHADOW,
  type RelayedPresence,
  resolvePresence,
} from "../../shared/site-presence.ts";
import type { NodeContext } from "../extension.ts";
import { parentsOf } from "../relay/relay-config.ts";
import type { RelayExtension } from "../relay/relay-extension.ts";
import type { FleetService } from "./fleet-service.ts";

/** Link states are read from the relay at most this often (a query resolves presence per thing). */
const LINK_CACHE_MS = 500;

/**
 * Presence across sites (docs/fleet.md): writes this node's presence changes into the thing's reserved
 * `$umbra-presence` shadow, which the relay carries to every site sharing the thing, and resolves what
 * the index shows from the local tracker, the relayed shadow and the state of the relay links.
 */
export class PresenceRelay {
  private links: { at: number; bySite: Map<string, LinkState>; parents: LinkState | undefined } | undefined;

  constructor(
    private readonly ctx: NodeContext,
    private readonly fleet: FleetService,
  ) {
    fleet.index.resolvePresence = (local, relayed) =>
      resolvePresence(ctx.config.site, local, relayed, (site) => this.linkTo(site));
  }

  /**
   * Watches the relay links: when one goes up or down, the things whose presence was relayed from
   * another site are announced as changed (fleet stream, alarms), since what they show changed.
   */
  watchLinks(everyMs = 1000): () => void {
    const shapeOf = (links: NonNullable<PresenceRelay["links"]>) =>
      JSON.stringify([[...links.bySite].map(([s, l]) => [s, l.up]), links.parents?.up]);
    let last = shapeOf(this.readLinks(Date.now()));
    const timer = setInterval(() => {
      const links = this.readLinks(Date.now());
      this.links = links;
      const shape = shapeOf(links);
      if (shape === last) return;
      last = shape;
      for (const [thing, p] of [...this.fleet.index.relayedPresences()])
        if (p.site !== this.ctx.config.site) this.fleet.index.setRelayedPresence(thing, p);
      this.markCuts(links);
    }, everyMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** Whether this node relays at all: it has a parent or serves (or served) site identities. */
  relays(): boolean {
    return parentsOf(this.ctx.config).length > 0 || this.ctx.identities.hasRole("site");
  }

  /** A presence announced by this node's tracker: recorded in the reserved shadow when the node relays. */
  announce(thing: string, p: Presence): void {
    if (p.site !== this.ctx.config.site || !this.relays()) return;
    const written = this.fleet.index.relayedPresenceOf(thing);
    if (written && written.connected === p.connected && written.since === p.since && written.site === p.site)
      return;
    const body = { state: { reported: { connected: p.connected, since: p.since, site: p.site } } };
    this.ctx.service.update({ thing, shadow: PRESENCE_SHADOW }, body, NODE_WRITER).then(
      (r) => {
        if (!r.ok) this.ctx.log.warn({ thing, reason: r.error.message }, "presence shadow refused");
      },
      (err) => this.ctx.log.error({ err, thing }, "presence shadow write failed"),
    );
  }

  /**
   * Sites further away cannot see this node's links: for the things whose device is at a site this
   * node has a direct link to, the node writes its mark `unknownBy.{this site}: last contact` into the
   * presence shadow while that link is down, and removes it (null) once the link is back. Its own key
   * only, so it never overwrites what the device's site writes, whichever merges first.
   */
  private markCuts(links: NonNullable<PresenceRelay["links"]>): void {
    if (!this.relays()) return;
    const own = this.ctx.config.site;
    for (const [thing, p] of [...this.fleet.index.relayedPresences()]) {
      const link = p.site === own ? undefined : links.bySite.get(p.site);
      if (!link) continue;
      const wanted = link.up ? undefined : link.since;
      if ((p as RelayedPresence).unknownBy?.[own] === wanted) continue;
      const body = { state: { reported: { unknownBy: { [own]: wanted ?? null } } } };
      this.ctx.service.update({ thing, shadow: PRESENCE_SHADOW }, body, NODE_WRITER).then(
        (r) => {
          if (!r.ok) this.ctx.log.warn({ thing, reason: r.error.message }, "presence mark refused");
        },
        (err) => this.ctx.log.error({ err, thing }, "presence mark write failed"),
      );
    }
  }

  /** At start: this node's presence rows whose shadow lags (e.g. "disconnected" after a restart). */
  reconcile(): void {
    const rows = this.ctx.db
      .prepare("SELECT thing, connected, since, site FROM presence WHERE site = ?")
      .all(this.ctx.config.site) as { thing: string; connected: number; since: number; site: string }[];
    for (const r of rows)
      this.announce(r.thing, { connected: r.connected === 1, since: r.since, site: r.site });
  }

  /**
   * The link toward a site: the direct link whose peer announced that site, else (a site further
   * away) the parent links together (down when none is up). Undefined when the node has no link.
   */
  private linkTo(site: string): LinkState | undefined {
    const now = Date.now();
    if (!this.links || now - this.links.at > LINK_CACHE_MS) this.links = this.readLinks(now);
    return this.links.bySite.get(site) ?? this.links.parents;
  }

  private readLinks(now: number): NonNullable<PresenceRelay["links"]> {
    const relay = this.ctx.extension<RelayExtension>("relay");
    const bySite = new Map<string, LinkState>();
    let parents: LinkState | undefined;
    for (const [peer, link] of relay?.links ?? []) {
      const s = link.stats(now);
      const state: LinkState = s.connected
        ? { up: true }
        : { up: false, since: Math.floor((s.lastContact ?? 0) / 1000) };
      if (s.site !== undefined && (s.connected || !bySite.get(s.site)?.up)) bySite.set(s.site, state);
      if (peer.startsWith("parent:")) {
        if (state.up || !parents) parents = state;
        else if (!parents.up) parents = { up: false, since: Math.max(parents.since, state.since) };
      }
    }
    return { at: now, bySite, parents };
  }
}
