import { join } from "node:path";
import { mergeAttributes } from "../../shared/fleet-attributes.ts";
import type { JsonObject } from "../../shared/json.ts";
import type { HostFacts } from "./facts.ts";
import { readText } from "./proc.ts";

/**
 * The host's inventory attributes (docs/agent.md, docs/fleet.md): type `host`; vendor, model and serial
 * from the firmware's DMI table (/sys/class/dmi/id, when readable: the serial is often root-only);
 * labels os, kernel, arch and hostname from the facts; then what the config's `attributes:` says
 * (location, owner, labels…), which wins. The agent states this set; the node keeps an operator's
 * keys (shared/attribute-origins.ts).
 */
export const DMI_DIR = "/sys/class/dmi/id";

/** Values firmware vendors leave in unset DMI fields: not a vendor, model or serial. */
const PLACEHOLDER =
  /^(to be filled by o\.?e\.?m\.?|default string|system (product name|serial number|manufacturer)|not specified|not applicable|none|n\/a|unknown|0+|0123456789|x+|123456789)$/i;

export interface DmiIdentity {
  vendor?: string;
  model?: string;
  serial?: string;
}

function dmiField(dir: string, file: string): string | undefined {
  const v = readText(join(dir, file))?.trim();
  return v && !PLACEHOLDER.test(v) ? v.slice(0, 256) : undefined;
}

export function readDmi(dir = DMI_DIR): DmiIdentity {
  const out: DmiIdentity = {};
  const vendor = dmiField(dir, "sys_vendor") ?? dmiField(dir, "board_vendor");
  const model = dmiField(dir, "product_name") ?? dmiField(dir, "board_name");
  const serial = dmiField(dir, "product_serial") ?? dmiField(dir, "chassis_serial");
  if (vendor) out.vendor = vendor;
  if (model) out.model = model;
  if (serial) out.serial = serial;
  return out;
}

const label = (v: unknown) => (typeof v === "string" && v !== "" ? v.slice(0, 256) : undefined);

export function hostAttributes(facts: HostFacts, dmi: DmiIdentity, configured: JsonObject = {}): JsonObject {
  const labels: JsonObject = {};
  for (const [k, v] of [
    ["os", label(facts.os.name) ?? label(facts.os.id)],
    ["kernel", label(facts.kernel)],
    ["arch", label(facts.arch)],
    ["hostname", label(facts.hostname)],
  ] as const) {
    if (v !== undefined) labels[k] = v;
  }
  const own: JsonObject = { type: "host", ...dmi, labels };
  return mergeAttributes(own, configured);
}
