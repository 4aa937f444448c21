import type { MqttClient } from "mqtt";

export type Json = Record<string, unknown>;

/** A shadow reply on either transport: HTTP status (or 200 for MQTT `accepted`, the error code for `rejected`). */
export interface ShadowReply {
  code: number;
  body: Json;
  /** The HTTP content-type header (undefined for MQTT). */
  type?: string | null;
}

export interface ShadowRequest {
  op: "get" | "update" | "delete";
  body?: string;
  /** Named shadow; undefined for the classic shadow. */
  name?: string;
}

/** Replaces every `timestamp` value, so documents made a second apart compare equal. */
export function withoutTimestamps(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutTimestamps);
  if (value === null || typeof value !== "object") return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) out[k] = k === "timestamp" ? "<ts>" : withoutTimestamps(v);
  return out;
}

export function shadowUrl(httpUrl: string, thing: string, name?: string, suffix = ""): string {
  const query = name === undefined ? "" : `?name=${encodeURIComponent(name)}`;
  return `${httpUrl}/things/${encodeURIComponent(thing)}/shadow${suffix}${query}`;
}

/** Sends a shadow request over HTTP. fetch cannot send a GET body, so a get's body is dropped. */
export async function httpShadow(
  httpUrl: string,
  thing: string,
  req: ShadowRequest,
  contentType = "application/json",
): Promise<ShadowReply> {
  const method = req.op === "get" ? "GET" : req.op === "update" ? "POST" : "DELETE";
  const body = method === "GET" ? undefined : req.body;
  const res = await fetch(shadowUrl(httpUrl, thing, req.name), {
    method,
    body,
    headers: body === undefined ? {} : { "content-type": contentType },
  });
  return { code: res.status, body: (await res.json()) as Json, type: res.headers.get("content-type") };
}

/**
 * Publishes a shadow request over MQTT and resolves with whichever of accepted/rejected answers it.
 * The caller must already be subscribed to the reply topics.
 */
export async function mqttShadow(
  client: MqttClient,
  thing: string,
  req: ShadowRequest,
  timeoutMs = 5000,
): Promise<ShadowReply> {
  const base = `$umbra/things/${thing}/shadow${req.name === undefined ? "" : `/name/${req.name}`}/${req.op}`;
  const reply = new Promise<ShadowReply>((resolve, reject) => {
    const onMessage = (topic: string, payload: Buffer) => {
      if (topic !== `${base}/accepted` && topic !== `${base}/rejected`) return;
      const body = JSON.parse(payload.toString()) as Json;
      finish(undefined, { code: topic.endsWith("/accepted") ? 200 : (body.code as number), body });
    };
    const timer = setTimeout(
      () => finish(new Error(`no reply to ${base} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const finish = (err?: Error, r?: ShadowReply) => {
      clearTimeout(timer);
      client.off("message", onMessage);
      if (r) resolve(r);
      else reject(err);
    };
    client.on("message", onMessage);
  });
  await client.publishAsync(base, req.body ?? "", { qos: 1 });
  return reply;
}
