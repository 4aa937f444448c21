import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectDevice, DeviceConnectionError } from "../../device-agent/index.ts";
import { deviceOptions, startSecureNode, until } from "../helpers/device-sdk.ts";
import type { TestNode } from "../helpers/node.ts";

/**
 * `Device.publishTelemetry`: measurements on the device's own connection, stored by a real node that
 * requires credentials; dropped (false) while offline; refused once the device is closed.
 */
describe("device SDK: publishTelemetry", () => {
  let node: TestNode;
  let token: string;

  beforeAll(async () => {
    node = await startSecureNode();
    token = node.identities.createToken("sdk-tel-viewer", "viewer", "*").token;
  });
  afterAll(async () => {
    await node.stop();
  });

  const latest = async (thing: string) => {
    const res = await fetch(`${node.httpUrl}/things/${thing}/telemetry/latest`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { metrics: Record<string, { value: number; ts: number }> }).metrics;
  };

  it("the node stores what the device publishes, under its own time stamp", async () => {
    const device = await connectDevice(deviceOptions(node, "tel-1", { statusTopic: false }));
    try {
      const ts = Date.now() - 5000;
      expect(await device.publishTelemetry({ ts, watts: 1210.5, psu: { 1: { volts: 230.1 } } })).toBe(true);
      const metrics = await until("samples stored", async () => {
        const m = await latest("tel-1");
        return m.watts && m["psu/1/volts"] ? m : undefined;
      });
      expect(metrics.watts).toEqual({ value: 1210.5, ts });
      expect(metrics["psu/1/volts"]).toEqual({ value: 230.1, ts });
      // The shadow is untouched: telemetry is not state.
      expect((await node.service.get({ thing: "tel-1", shadow: "" })).ok).toBe(false);
    } finally {
      await device.close();
    }
    await expect(device.publishTelemetry({ watts: 1 })).rejects.toBeInstanceOf(DeviceConnectionError);
  });

  it("offline: resolves false and sends nothing (never queued)", async () => {
    const device = await connectDevice({
      url: "mqtt://127.0.0.1:1",
      thing: "tel-2",
      waitForReady: false,
      reconnect: { initialMs: 1000, maxMs: 1000 },
    });
    try {
      expect(device.connected).toBe(false);
      expect(await device.publishTelemetry({ watts: 5 })).toBe(false);
      await expect(device.publishTelemetry([] as never)).rejects.toThrow(/must be a JSON object/);
    } finally {
      await device.close();
    }
  });
});
