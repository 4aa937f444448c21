import { once } from "node:events";
import { readFileSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { type AddressInfo, createServer, type Server, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { createServer as createTlsServer, type TLSSocket } from "node:tls";
import { createWebSocketStream, WebSocketServer } from "ws";
import type { NodeConfig } from "../shared/config.ts";

/** Hands a new MQTT connection to the broker; `tls` is set for TLS transports. */
export type ConnectionHandler = (stream: Duplex, info: { address: string; tls?: TLSSocket }) => void;

export interface Listener {
  kind: "mqtt" | "mqtts" | "ws" | "wss";
  url: string;
  close(): Promise<void>;
}

export interface TlsMaterial {
  key: Buffer;
  cert: Buffer;
  ca?: Buffer;
}

export function readTlsMaterial(config: NodeConfig): TlsMaterial | undefined {
  if (!config.tlsCert || !config.tlsKey) return undefined;
  const read = (what: string, path: string) => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new Error(`cannot read ${what} ${path}: ${(err as Error).message}`);
    }
  };
  return {
    cert: read("TLS certificate", config.tlsCert),
    key: read("TLS key", config.tlsKey),
    ca: config.tlsCa ? read("TLS CA", config.tlsCa) : undefined,
  };
}

async function listen(server: Server, port: number, host: string): Promise<number> {
  server.listen(port, host);
  await Promise.race([
    once(server, "listening"),
    once(server, "error").then(([e]) =>
      Promise.reject(new Error(`cannot listen on ${host}:${port}: ${(e as Error).message}`)),
    ),
  ]);
  return (server.address() as AddressInfo).port;
}

/** Stops accepting. Open connections are not waited for: the broker closes them when it closes. */
function closeServer(server: Server): Promise<void> {
  server.close();
  return Promise.resolve();
}

function hostForUrl(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

/** Counts open MQTT connections across all listeners and refuses those over the limit. */
export class ConnectionGate {
  open = 0;
  refused = 0;
  constructor(private readonly max: number) {}
  admit(socket: Socket | Duplex): boolean {
    if (this.open >= this.max) {
      this.refused++;
      socket.destroy();
      return false;
    }
    this.open++;
    socket.once("close", () => this.open--);
    return true;
  }
}

/**
 * Starts the MQTT listeners the config asks for: plain TCP, TLS (optionally mutual), WebSocket and
 * secure WebSocket (path `/mqtt` or `/`, subprotocol `mqtt`). Every listener feeds the same broker.
 */
export async function startMqttListeners(
  config: NodeConfig,
  tls: TlsMaterial | undefined,
  gate: ConnectionGate,
  handle: ConnectionHandler,
): Promise<Listener[]> {
  const listeners: Listener[] = [];
  const host = config.host;
  const h = hostForUrl(host);
  try {
    if (config.mqttPort !== null) {
      const server = createServer({ noDelay: true }, (socket) => {
        if (gate.admit(socket)) handle(socket, { address: socket.remoteAddress ?? "unknown" });
      });
      const port = await listen(server, config.mqttPort, host);
      listeners.push({ kind: "mqtt", url: `mqtt://${h}:${port}`, close: () => closeServer(server) });
    }
    if (config.tlsPort !== null && tls) {
      const server = createTlsServer(
        {
          key: tls.key,
          cert: tls.cert,
          ca: tls.ca,
          requestCert: tls.ca !== undefined,
          rejectUnauthorized: config.tlsRequireClientCert,
          // The broker's connect timeout only starts after the handshake; Node's default is 120 s.
          handshakeTimeout: config.security.connectTimeoutMs,
        },
        (socket) => {
          socket.setNoDelay(true);
          if (gate.admit(socket)) handle(socket, { address: socket.remoteAddress ?? "unknown", tls: socket });
        },
      );
      // A failed handshake is the client's problem, not the node's; but tls.Server leaves the socket
      // open after a handshake error or timeout (only https.Server destroys it), so close it here.
      server.on("tlsClientError", (_err, socket) => socket.destroy());
      const port = await listen(server, config.tlsPort, host);
      listeners.push({ kind: "mqtts", url: `mqtts://${h}:${port}`, close: () => closeServer(server) });
    }
    for (const secure of [false, true]) {
      const wsPort = secure ? config.wssPort : config.wsPort;
      if (wsPort === null || (secure && !tls)) continue;
      const httpServer = secure
        ? createHttpsServer({
            key: tls?.key,
            cert: tls?.cert,
            ca: tls?.ca,
            requestCert: tls?.ca !== undefined,
            rejectUnauthorized: config.tlsRequireClientCert,
            handshakeTimeout: config.security.connectTimeoutMs,
          })
        : createHttpServer();
      // Until the upgrade the broker's connect timeout does not apply: drop sockets idle that long
      // (Node's defaults keep them 60 s and more). ws clears the socket timeout once upgraded.
      httpServer.timeout = config.security.connectTimeoutMs;
      const wss = new WebSocketServer({
        server: httpServer,
        handleProtocols: (protocols) => (protocols.has("mqtt") ? "mqtt" : false),
      });
      wss.on("connection", (ws, req) => {
        const stream = createWebSocketStream(ws);
        stream.on("error", () => ws.terminate());
        if (!gate.admit(stream)) return;
        const socket = req.socket as TLSSocket;
        handle(stream, { address: req.socket.remoteAddress ?? "unknown", tls: secure ? socket : undefined });
      });
      const port = await listen(httpServer as unknown as Server, wsPort, host);
      const scheme = secure ? "wss" : "ws";
      listeners.push({
        kind: scheme,
        url: `${scheme}://${h}:${port}/mqtt`,
        close: async () => {
          for (const client of wss.clients) client.terminate();
          wss.close();
          await closeServer(httpServer as unknown as Server);
        },
      });
    }
  } catch (err) {
    await Promise.all(listeners.map((l) => l.close()));
    throw err;
  }
  return listeners;
}
