/**
 * The identity name inside an MQTT CONNECT user name. AWS IoT device SDKs append metrics to the user
 * name (`acc-1?SDK=IoTDeviceSDK/JS&Platform=Unix&Metadata=(…)`, or just `?SDK=…` with mutual TLS) and
 * AWS IoT Core ignores everything from the first `?`; so does Umbra. A user name that is empty once the
 * suffix is gone counts as no user name (certificate or anonymous login).
 */
export function usernameOf(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const q = raw.indexOf("?");
  if (q === -1) return raw;
  const name = raw.slice(0, q);
  return name === "" ? undefined : name;
}
