import { iot, iotshadow, mqtt, mqtt5 } from "aws-iot-device-sdk-v2";

/**
 * The real AWS IoT Device SDK v2 for JavaScript (native CRT client shipped in the npm package) as a
 * shadow client. Its connection builder is used as a device would use it, so the user name carries
 * the SDK's metrics suffix (`name?SDK=IoTDeviceSDK/JS&Platform=…`) unless a test switches it off.
 */

export interface SdkV2Endpoint {
  host: string;
  port: number;
  clientId: string;
  username?: string;
  password?: string;
  /** Mutual TLS: PEM paths of the client certificate and key, and the CA that signed the node's. */
  tls?: { cert: string; key: string; ca: string };
  /** The SDK's own switch; on by default as in the SDK. */
  metrics?: boolean;
}

/** Builds the MQTT 3.1.1 connection config the way the SDK's samples do. */
export function mqtt3Config(e: SdkV2Endpoint): mqtt.MqttConnectionConfig {
  const builder = e.tls
    ? iot.AwsIotMqttConnectionConfigBuilder.new_mtls_builder_from_path(
        e.tls.cert,
        e.tls.key,
      ).with_certificate_authority_from_path(undefined, e.tls.ca)
    : iot.AwsIotMqttConnectionConfigBuilder.new_default_builder();
  builder.with_endpoint(e.host).with_port(e.port).with_client_id(e.clientId).with_clean_session(true);
  if (e.username !== undefined) builder.with_username(e.username);
  if (e.password !== undefined) builder.with_password(e.password);
  const config = builder.build();
  if (e.metrics === false) config.disable_metrics = true;
  // The builder always makes a TLS context (AWS IoT Core has no plain port); a plain TCP listener
  // takes the same config without it.
  if (!e.tls) config.tls_ctx = undefined;
  return config;
}

export async function connectMqtt3(e: SdkV2Endpoint): Promise<mqtt.MqttClientConnection> {
  const connection = new mqtt.MqttClient().new_connection(mqtt3Config(e));
  await connection.connect();
  return connection;
}

type Json = Record<string, unknown>;

/**
 * The SDK's classic shadow client (`IotShadowClient`) over one connection: subscribes to a thing's
 * update/get replies and delta events, and sends requests that wait for their reply by clientToken.
 */
export class SdkShadow {
  readonly client: iotshadow.IotShadowClient;
  readonly deltas: Json[] = [];
  private readonly waiting = new Map<string, (reply: { ok: boolean; body: Json }) => void>();

  constructor(
    connection: mqtt.MqttClientConnection,
    readonly thingName: string,
  ) {
    this.client = new iotshadow.IotShadowClient(connection);
  }

  async subscribe(): Promise<void> {
    const q = mqtt.QoS.AtLeastOnce;
    const req = { thingName: this.thingName };
    const settle = (ok: boolean) => (_e?: unknown, body?: object) => {
      const token = (body as { clientToken?: string } | undefined)?.clientToken;
      const resolve = token ? this.waiting.get(token) : undefined;
      if (resolve && token) {
        this.waiting.delete(token);
        resolve({ ok, body: body as Json });
      }
    };
    await this.client.subscribeToUpdateShadowAccepted(req, q, settle(true));
    await this.client.subscribeToUpdateShadowRejected(req, q, settle(false));
    await this.client.subscribeToGetShadowAccepted(req, q, settle(true));
    await this.client.subscribeToGetShadowRejected(req, q, settle(false));
    await this.client.subscribeToShadowDeltaUpdatedEvents(req, q, (_e, event) => {
      if (event) this.deltas.push(event as Json);
    });
  }

  update(state: iotshadow.model.ShadowState, clientToken: string) {
    return this.request(clientToken, () =>
      this.client.publishUpdateShadow(
        { thingName: this.thingName, state, clientToken },
        mqtt.QoS.AtLeastOnce,
      ),
    );
  }

  get(clientToken: string) {
    return this.request(clientToken, () =>
      this.client.publishGetShadow({ thingName: this.thingName, clientToken }, mqtt.QoS.AtLeastOnce),
    );
  }

  private request(token: string, send: () => Promise<unknown>, limitMs = 15_000) {
    return new Promise<{ ok: boolean; body: Json }>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(token);
        reject(new Error(`no shadow reply for clientToken ${token} within ${limitMs} ms`));
      }, limitMs);
      this.waiting.set(token, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      send().catch(reject);
    });
  }
}

/**
 * The SDK's MQTT 5 client, started and connected. With `tls` it is built by the SDK's own mTLS builder
 * (as its samples do); a user name and password on plain TCP have no builder in the SDK (AWS IoT Core
 * has no such port), so that config is written by hand. Either way the CRT appends its metrics to the
 * user name unless `metrics` is false.
 */
export async function connectMqtt5(e: SdkV2Endpoint): Promise<mqtt5.Mqtt5Client> {
  let config: mqtt5.Mqtt5ClientConfig;
  if (e.tls) {
    config = iot.AwsIotMqtt5ClientConfigBuilder.newDirectMqttBuilderWithMtlsFromPath(
      e.host,
      e.tls.cert,
      e.tls.key,
    )
      .withCertificateAuthorityFromPath(undefined, e.tls.ca)
      .withPort(e.port)
      .withConnectProperties({ keepAliveIntervalSeconds: 60, clientId: e.clientId, username: e.username })
      .build();
  } else {
    config = {
      hostName: e.host,
      port: e.port,
      connectProperties: {
        keepAliveIntervalSeconds: 60,
        clientId: e.clientId,
        username: e.username,
        password: e.password === undefined ? undefined : Buffer.from(e.password),
      },
    };
  }
  if (e.metrics === false) config.disableMetrics = true;
  const client = new mqtt5.Mqtt5Client(config);
  const connected = new Promise<void>((resolve, reject) => {
    client.once("connectionSuccess", () => resolve());
    client.once("connectionFailure", (event) => reject(event.error));
  });
  client.start();
  try {
    await connected;
  } catch (err) {
    client.stop();
    client.close();
    throw err;
  }
  return client;
}

/** The SDK's request/response shadow client (`IotShadowClientv2`) over an MQTT 5 client. */
export function shadowClientV2(client: mqtt5.Mqtt5Client): iotshadow.IotShadowClientv2 {
  return iotshadow.IotShadowClientv2.newFromMqtt5(client, {
    maxRequestResponseSubscriptions: 4,
    maxStreamingSubscriptions: 4,
    operationTimeoutInSeconds: 15,
  });
}
