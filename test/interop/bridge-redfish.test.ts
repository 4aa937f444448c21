import { createServer, type Server, type Socket } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createRedfishDriver } from "../../firmware-bridge/drivers/redfish.ts";
import type { DeviceSpec, Driver, PointSpec } from "../../firmware-bridge/types.ts";
import { DriverError } from "../../firmware-bridge/types.ts";
import { createTestPki, type TestPki } from "../helpers/certs.ts";
import { type RedfishEmulator, startRedfishEmulator } from "../helpers/redfish-emulator.ts";

/**
 * The Redfish driver against the test-suite Redfish emulator over real TLS: trust via a custom CA
 * (refused without it unless `insecure`), sessions with re-login after expiry, reads by JSON pointer
 * (including a table), writes as the Reset action and as a PATCH, and an unreachable BMC.
 */

const POWER: PointSpec = {
  path: "power",
  writable: true,
  address: { resource: "Systems/1", pointer: "/PowerState", write: "reset" },
};
const WATTS: PointSpec = {
  path: "watts",
  address: { resource: "Chassis/1/Power", pointer: "/PowerControl/0/PowerConsumedWatts" },
};
const TEMPS: PointSpec = {
  path: "temps.{index}.celsius",
  address: {
    resource: "Chassis/1/Thermal",
    table: "/Temperatures",
    pointer: "/ReadingCelsius",
    key: "/MemberId",
  },
};
const TAG: PointSpec = {
  path: "assetTag",
  writable: true,
  address: { resource: "/redfish/v1/Systems/1", pointer: "/AssetTag", write: "patch" },
};

let pki: TestPki;
let bmc: RedfishEmulator;
const open: Driver[] = [];

function driver(options: Record<string, unknown>, address = bmc.url, timeoutMs = 2000): Driver {
  const device: DeviceSpec = { thing: "srv-1", driver: "redfish", address, options, pollMs: 1000, timeoutMs };
  const d = createRedfishDriver(device);
  open.push(d);
  return d;
}

const trusted = () => ({ username: "admin", password: "password", ca: pki.ca.cert });

async function failure(p: Promise<unknown>): Promise<DriverError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DriverError);
  return err as DriverError;
}

beforeAll(async () => {
  pki = createTestPki();
  bmc = await startRedfishEmulator({ tls: pki.server });
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((d) => d.close()));
  bmc.state.powerState = "On";
  bmc.state.resets.length = 0;
});
afterAll(async () => {
  await bmc?.close();
  pki?.remove();
});

describe("Redfish driver", () => {
  it("reads properties and a thermal table over TLS trusted through the custom CA, with one session", async () => {
    const d = driver(trusted());
    const readings = await d.read([POWER, WATTS, TEMPS]);
    expect(readings).toEqual([
      { path: "power", value: "On" },
      { path: "watts", value: 212 },
      { path: "temps.0.celsius", value: 41 },
      { path: "temps.1.celsius", value: 38 },
    ]);
    const logins = bmc.counts.logins;
    bmc.state.temps[1] = 55;
    expect(await d.read([TEMPS])).toContainEqual({ path: "temps.1.celsius", value: 55 });
    expect(bmc.counts.logins).toBe(logins); // the session is reused between polls
    bmc.state.temps[1] = 38;
  });

  it("refuses an untrusted certificate unless the device opts in with insecure", async () => {
    const noCa = await failure(driver({ username: "admin", password: "password" }).read([POWER]));
    expect(noCa.kind).toBe("refused");
    expect(noCa.message).toMatch(/certificate not trusted.*`ca` option/);
    const wrongCa = await failure(driver({ ...trusted(), ca: pki.otherCa.cert }).read([POWER]));
    expect(wrongCa.kind).toBe("refused");
    const insecure = driver({ username: "admin", password: "password", insecure: true });
    expect(await insecure.read([POWER])).toEqual([{ path: "power", value: "On" }]);
  });

  it("logs in again when the session expires, survives dropped connections, deletes its session on close", async () => {
    const d = driver(trusted());
    await d.read([POWER]);
    const before = bmc.counts.logins;
    bmc.expireSessions();
    expect(await d.read([POWER])).toEqual([{ path: "power", value: "On" }]);
    expect(bmc.counts.logins).toBe(before + 1);
    expect(bmc.sessions()).toBe(1);
    bmc.dropConnections(); // the kept-alive connection is gone: the next poll opens a new one
    expect(await d.read([POWER])).toEqual([{ path: "power", value: "On" }]);
    bmc.resetNextReusedRequest(); // a reset on the reused connection: sent again on a fresh one
    expect(await d.read([POWER])).toEqual([{ path: "power", value: "On" }]);
    await d.close();
    expect(bmc.sessions()).toBe(0);
    expect(bmc.counts.deletes).toBeGreaterThanOrEqual(1);
  });

  it("writes a power state as #ComputerSystem.Reset with the mapped ResetType", async () => {
    const d = driver(trusted());
    await d.write(POWER, "power", "On"); // already on: no action
    expect(bmc.state.resets).toEqual([]);
    await d.write(POWER, "power", "Off");
    expect(bmc.state.resets).toEqual(["ForceOff"]);
    expect(await d.read([POWER, WATTS])).toEqual([{ path: "power", value: "Off" }]); // null watts: no reading
    const graceful = {
      ...POWER,
      address: { ...POWER.address, resetTypes: { On: "On", Off: "GracefulShutdown" } },
    };
    await d.write(graceful, "power", "On");
    expect(await d.read([POWER])).toEqual([{ path: "power", value: "On" }]);
    const bad = await failure(d.write(POWER, "power", "Explode"));
    expect(bad.kind).toBe("refused");
    expect(bad.message).toMatch(/does not allow ResetType Explode/);
  });

  it("writes a property with PATCH and reports the service's error message on a refused PATCH", async () => {
    const d = driver({ ...trusted(), auth: "basic" });
    await d.write(TAG, "assetTag", "rack-7");
    expect(await d.read([TAG])).toEqual([{ path: "assetTag", value: "rack-7" }]);
    const name = { path: "name", writable: true, address: { resource: "Systems/1", pointer: "/Name" } };
    const err = await failure(d.write(name, "name", "x"));
    expect(err.kind).toBe("refused");
    expect(err.message).toMatch(/HTTP 400 \(Only AssetTag is writable\.\)/);
  });

  it("tolerates a missing resource for tables and optional points; a required one fails alone", async () => {
    const d = driver(trusted());
    const fans = {
      path: "fans.{index}",
      address: { resource: "Chassis/1/ThermalSubsystem/Fans", table: "/Members", pointer: "/Id" },
    };
    const serial = {
      path: "serial",
      address: { resource: "Chassis/2", pointer: "/SerialNumber", optional: true },
    };
    expect(await d.read([fans, serial, POWER])).toEqual([{ path: "power", value: "On" }]);
    const err = await failure(
      d.read([{ path: "x", address: { resource: "Chassis/2", pointer: "/Name" } }, POWER, WATTS]),
    );
    expect(err.kind).toBe("refused");
    expect(err.message).toMatch(/Chassis\/2 not found \(HTTP 404; point x\)/);
    // The points that did answer travel with the error, so the engine still reports them.
    expect(err.readings).toEqual([
      { path: "power", value: "On" },
      { path: "watts", value: 212 },
    ]);
  });

  it("reports wrong credentials as refused, naming the user but not the password", async () => {
    const err = await failure(driver({ ...trusted(), password: "wrong-secret" }).read([POWER]));
    expect(err.kind).toBe("refused");
    expect(err.message).toMatch(/login as "admin".*rejected \(HTTP 401\)/);
    expect(err.message).not.toContain("wrong-secret");
  });

  it("reports a BMC that is down or silent as unreachable within the timeout", async () => {
    const down = await startRedfishEmulator({ tls: pki.server });
    await down.close();
    const refused = await failure(driver(trusted(), down.url).read([POWER]));
    expect(refused.kind).toBe("unreachable");
    expect(refused.message).toMatch(/ECONNREFUSED/);

    const sockets = new Set<Socket>();
    const silent: Server = createServer((s) => sockets.add(s)); // accepts TCP, never speaks TLS
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    try {
      const port = (silent.address() as { port: number }).port;
      const started = Date.now();
      const timeout = await failure(driver(trusted(), `127.0.0.1:${port}`, 300).read([POWER]));
      expect(timeout.kind).toBe("unreachable");
      expect(timeout.message).toMatch(/no answer within 300 ms/);
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });
});
