import type { DeviceIdentity } from "../types.ts";

/**
 * The BMC's FRU inventory as `ipmitool fru print 0` prints it (IPMI Platform Management FRU Information
 * Storage Definition: product, board and chassis areas, `Name : value` lines) → vendor, model, serial.
 * The product area wins, then the board, then the chassis (serial only). Pure.
 */
const PLACEHOLDER = /^(to be filled by o\.?e\.?m\.?|default string|not specified|none|n\/a|unknown|0+)$/i;

export function parseFru(out: string): DeviceIdentity {
  const fields = new Map<string, string>();
  for (const line of out.split("\n")) {
    const i = line.indexOf(":");
    if (i < 0) continue;
    const name = line.slice(0, i).trim();
    const value = line.slice(i + 1).trim();
    if (name && value && !PLACEHOLDER.test(value) && !fields.has(name)) fields.set(name, value.slice(0, 256));
  }
  const first = (...names: string[]) => names.map((n) => fields.get(n)).find((v) => v !== undefined);
  const identity: DeviceIdentity = {};
  const vendor = first("Product Manufacturer", "Board Mfg");
  const model = first("Product Name", "Board Product");
  const serial = first("Product Serial", "Board Serial", "Chassis Serial");
  if (vendor) identity.vendor = vendor;
  if (model) identity.model = model;
  if (serial) identity.serial = serial;
  return identity;
}
