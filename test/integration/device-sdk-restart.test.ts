import { rmSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { IdentityStore } from "../../broker/auth/identity-store.ts";
import { openDatabase } from "../../broker/store/database.ts";
import { connectDevice, type Device } from "../../device-agent/index.ts";
import type { ShadowDevice } from "../../device-agent/sdk/device.ts";
import type { JsonObject } from "../../shared/json.ts";
import {
  deviceOptions,
  freePort,
  gate,
  httpGetShadow,
  httpSetDesired,
  reconciledOf,
  setDesired,
  shadowOf,
  startSecureNode,
  until,
} from "../helpers/device-sdk.ts";
import { type NodeProcess, spawnNode, tempDir } from "../helpers/node.ts";

/**
 * The node dies while the device is reconciling and comes back on the same port and data dir: the device
 * reconnects, re-subscribes, replays what it reported meanwhile, re-fetches the shadow and finishes.
 */
describe("device SDK across node restarts", () => {
  const dirs: string[] = [];
  const devices: Device[] = [];
  let child: NodeProcess | undefined;

  afterAll(async () => {
    for (const d of devices) await d.close();
    if (child && child.child.exitCode === null && child.child.signalCode === null) {
      child.child.kill("SIGKILL");
      await child.exited;
    }
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("SIGKILL of the node process mid-reconcile: the device reconnects, re-fetches and finishes", async () => {
    const dataDir = tempDir("umbra-sdk-kill-");
    dirs.push(dataDir);
    // Identities are made in the data dir before the node starts, as `umbra device add` would.
    const db = openDatabase(dataDir);
    const ids = new IdentityStore(db);
    const password = ids.add("rack-pdu-1", "device", "rack-pdu-1");
    const { token } = ids.createToken("ops", "operator", "*");
    db.close();
    const port = await freePort();
    const args = ["--data-dir", dataDir, "--mqtt-port", String(port), "--site", "kill"];
    child = await spawnNode(args, {}, 20_000, { secure: true });
    const httpUrl = child.httpUrl;

    const device = (await connectDevice({
      url: `mqtt://127.0.0.1:${port}`,
      thing: "rack-pdu-1",
      username: "rack-pdu-1",
      password,
      reconnect: { initialMs: 50, maxMs: 250 },
      retry: { initialMs: 20, maxMs: 100 },
      requestTimeoutMs: 2000,
    })) as ShadowDevice;
    devices.push(device);
    const held = gate();
    const calls: JsonObject[] = [];
    device.onDelta(async (delta) => {
      calls.push(delta);
      if (calls.length === 1) await held.promise; // the first reconcile is under way when the node dies
      return { reported: delta };
    });
    await httpSetDesired(httpUrl, token, "rack-pdu-1", { outlet1: "off", outlet2: "on" });
    await until("handler running", () => calls.length === 1);

    child.child.kill("SIGKILL");
    await child.exited;
    await until("device noticed", () => !device.connected);
    held.open(); // the handler finishes while the node is down: its report goes to the queue
    await until("report queued", () => device.stats.queued > 0);

    const restartAt = Date.now();
    child = await spawnNode(args, {}, 20_000, { secure: true });
    const nodeUpMs = Date.now() - restartAt;
    const resyncs = device.stats.resyncs;
    await until("resynchronised", () => device.stats.resyncs > resyncs, 10_000);
    const reconnectMs = Date.now() - restartAt - nodeUpMs;
    const shadow = await until("in sync", async () => {
      const r = await httpGetShadow(child?.httpUrl ?? "", token, "rack-pdu-1");
      return r.status === 200 && r.body.state?.delta === undefined && r.body;
    });
    expect(shadow.state?.reported).toMatchObject({ outlet1: "off", outlet2: "on" });
    const cond = reconciledOf(shadow.state?.reported);
    expect(cond).toMatchObject({ type: "Reconciled", status: "True", observedVersion: 1 });
    expect(calls).toEqual([{ outlet1: "off", outlet2: "on" }]); // finished once, not redone after the restart
    expect(device.stats.connects).toBe(2);

    // And the loop keeps working on the new process.
    await httpSetDesired(child.httpUrl, token, "rack-pdu-1", { outlet1: "on" });
    await until("next change applied", async () => {
      const r = await httpGetShadow(child?.httpUrl ?? "", token, "rack-pdu-1");
      return r.body.state?.delta === undefined && r.body.state?.reported?.outlet1 === "on";
    });
    console.log(
      `[device-sdk-restart] node process up again in ${nodeUpMs} ms; device resynchronised ${reconnectMs} ms after that`,
    );
  });

  it("in-process restart with desired changed while the device was away: only the current delta is applied", async () => {
    const port = await freePort();
    let node = await startSecureNode({ mqttPort: port });
    dirs.push(node.dataDir);
    const opts = deviceOptions(node, "ups-1", { reconnect: { initialMs: 50, maxMs: 250 } });
    await setDesired(node, "ups-1", { mode: "online" });
    const device = (await connectDevice(opts)) as ShadowDevice;
    devices.push(device);
    const calls: JsonObject[] = [];
    device.onDelta((delta) => {
      calls.push(delta);
    });
    await until("first applied", async () => (await shadowOf(node, "ups-1")).delta === undefined);

    await node.stop({ keepData: true });
    await until("device noticed", () => !device.connected);
    // Meanwhile an operator changes desired twice (the node runs on another port the device cannot reach).
    const aside = await startSecureNode({ dataDir: node.dataDir });
    await setDesired(aside, "ups-1", { mode: "eco" });
    await setDesired(aside, "ups-1", { mode: "bypass", alarm: "mute" });
    await aside.stop({ keepData: true });

    node = await startSecureNode({ dataDir: node.dataDir, mqttPort: port });
    try {
      await until("in sync", async () => {
        const s = await shadowOf(node, "ups-1");
        return s.delta === undefined && s.reported?.mode === "bypass";
      });
      expect(calls).toEqual([{ mode: "online" }, { mode: "bypass", alarm: "mute" }]);
      expect(device.stats.connects).toBe(2);
    } finally {
      await device.close();
      await node.stop({ keepData: true });
    }
  });
});
