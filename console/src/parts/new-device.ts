import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { api } from "../api.ts";

/** A new device's credentials, shown once, with copy buttons and a ready mosquitto_pub line. */
export function NewDevice({
  name,
  password,
  onDone,
}: {
  name: string;
  password: string;
  onDone: () => void;
}) {
  const [ports, setPorts] = useState<{ mqtt?: number; mqtts?: number } | undefined>();
  useEffect(() => {
    api<{ mqtt: { mqtt?: number; mqtts?: number } }>("/console/api/node")
      .then((n) => setPorts(n.mqtt))
      .catch(() => setPorts({}));
  }, []);
  const host = location.hostname.includes(":") ? `[${location.hostname}]` : location.hostname;
  const port = ports?.mqtt ?? ports?.mqtts ?? 1883;
  const tls = ports?.mqtt === undefined && ports?.mqtts !== undefined ? " --cafile node-ca.pem" : "";
  const command =
    `mosquitto_pub -h ${host} -p ${port}${tls} -i ${name} -u ${name} -P '${password}' ` +
    `-t '$umbra/things/${name}/shadow/update' -m '{"state":{"reported":{"online":true}}}'`;
  return html`<section class="card once" aria-labelledby="once-title" data-testid="new-device">
    <h2 id="once-title">Device ${name} added</h2>
    <p class="warn-text" role="status">Copy the password now: it is shown only once and stored only as a hash.</p>
    <${Copyable} label="User name" value=${name} />
    <${Copyable} label="Password" value=${password} testid="new-password" />
    ${ports ? html`<${Copyable} label="Try it with mosquitto_pub" value=${command} testid="mosquitto-line" />` : null}
    <button onClick=${onDone}>Done, I stored it</button>
  </section>`;
}

function Copyable({ label, value, testid }: { label: string; value: string; testid?: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    } catch {
      // Clipboard access needs a secure context (HTTPS or localhost); the value stays selectable.
    }
  };
  return html`<div class="copyable">
    <span class="label">${label}</span>
    <code data-testid=${testid}>${value}</code>
    <button type="button" onClick=${copy} aria-label=${`Copy ${label}`}>${copied ? "Copied" : "Copy"}</button>
  </div>`;
}
