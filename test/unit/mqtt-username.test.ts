import { describe, expect, it } from "vitest";
import { usernameOf } from "../../shared/mqtt-username.ts";

describe("usernameOf", () => {
  it("drops the AWS SDK metrics suffix from the first '?'", () => {
    const raw = "acc-1?SDK=IoTDeviceSDK/JS&Platform=Unix&Metadata=(CRTVersion=1.0;IoTSDKVersion=1.28)";
    expect(usernameOf(raw)).toBe("acc-1");
    expect(usernameOf("a?b?c")).toBe("a");
  });
  it("treats a user name that is only a suffix as none (certificate or anonymous login)", () => {
    expect(usernameOf("?SDK=IoTDeviceSDK/JS")).toBeUndefined();
    expect(usernameOf(undefined)).toBeUndefined();
  });
  it("leaves other user names as they are", () => {
    expect(usernameOf("pdu-2")).toBe("pdu-2");
    expect(usernameOf("")).toBe("");
  });
});
