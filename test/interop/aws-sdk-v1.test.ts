import { createRequire } from "node:module";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestPki, type TestPki } from "../helpers/certs.ts";
import { startTestNode, type TestNode } from "../helpers/node.ts";

/**
 * The older `aws-iot-device-sdk` (v1, npm) `thingShadow` class over mutual TLS, as its README shows it:
 * it appends `?SDK=JavaScript&Version=…` to the user name, so the node sees a user name that is only
 * the metrics suffix beside a client certificate.
 */
const require = createRequire(import.meta.url);
interface ThingShadow {
  register(name: string, opts: object, cb: (err?: Error) => void): void;
  update(name: string, state: object): string | null;
  get(name: string): string | null;
  on(event: string, cb: (...args: unknown[]) => void): void;
  end(force: boolean, cb: () => void): void;
}
const { thingShadow } = require("aws-iot-device-sdk") as {
  thingShadow: new (opts: Record<string, unknown>) => ThingShadow;
};

const THING = "v1-dev";
let pki: TestPki;
let node: TestNode;

beforeAll(async () => {
  pki = createTestPki();
  node = await startTestNode({
    allowAnonymous: false,
    tlsPort: 0,
    tlsCert: pki.server.cert,
    tlsKey: pki.server.key,
    tlsCa: pki.ca.cert,
  });
  node.identities.add(THING, "device", THING);
});

afterAll(async () => {
  await node?.stop();
  pki?.remove();
});

type Status = { stat: string; token: string; doc: { state?: Record<string, unknown>; version?: number } };

describe("aws-iot-device-sdk v1 thingShadow", () => {
  it("registers, updates and gets its shadow over mutual TLS", async () => {
    const files = pki.client(THING);
    const shadows = new thingShadow({
      host: "localhost",
      port: Number(new URL(node.urls.mqtts ?? "").port),
      clientId: THING,
      keyPath: files.key,
      certPath: files.cert,
      caPath: pki.ca.cert,
      protocol: "mqtts",
      reconnectPeriod: 0,
    });
    const statuses: Status[] = [];
    const errors: unknown[] = [];
    shadows.on("error", (e) => errors.push(e));
    shadows.on("status", (_name, stat, token, doc) =>
      statuses.push({ stat: stat as string, token: token as string, doc: doc as Status["doc"] }),
    );
    const waitStatus = async (token: string | null) => {
      expect(token, "the SDK refused to send the request").not.toBeNull();
      const end = Date.now() + 15_000;
      while (Date.now() < end) {
        const hit = statuses.find((s) => s.token === token);
        if (hit) return hit;
        if (errors.length > 0) throw new Error(`SDK error: ${String(errors[0])}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`no status for ${token}`);
    };
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`connect: ${String(errors[0] ?? "timeout")}`)),
          15_000,
        );
        shadows.on("connect", () => {
          clearTimeout(timer);
          resolve();
        });
      });
      await new Promise<void>((resolve, reject) =>
        shadows.register(THING, { persistentSubscribe: true }, (err) => (err ? reject(err) : resolve())),
      );
      const up = await waitStatus(shadows.update(THING, { state: { reported: { fan: "auto" } } }));
      expect(up.stat).toBe("accepted");
      expect(up.doc.state).toMatchObject({ reported: { fan: "auto" } });
      const got = await waitStatus(shadows.get(THING));
      expect(got.stat).toBe("accepted");
      expect(got.doc).toMatchObject({ state: { reported: { fan: "auto" } }, version: 1 });
    } finally {
      await new Promise<void>((resolve) => shadows.end(true, resolve));
    }
  });
});
