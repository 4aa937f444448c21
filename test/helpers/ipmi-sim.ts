import { type ChildProcess, spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "./node.ts";

/**
 * A real BMC for tests: OpenIPMI's `ipmi_sim` (Debian package openipmi) on 127.0.0.1 and a free UDP
 * port, with one admin user, a BMC at IPMB 0x20 carrying one temperature sensor ("CPU Temp", its value
 * polled from a file the test can change) and chassis power control through a `chassis_control`
 * script that keeps the power state in a file (ipmi_sim asks the script on every status request).
 */

export const IPMI_SIM_BIN = "/usr/bin/ipmi_sim";
export const IPMITOOL_BIN = "/usr/bin/ipmitool";

export interface IpmiSim {
  port: number;
  username: string;
  password: string;
  /** The simulated chassis power: read from / written to the control script's state file. */
  power(): "on" | "off";
  setPower(on: boolean): void;
  /** Sets the CPU Temp sensor (whole degrees C, 0–255); ipmi_sim polls the file every 200 ms. */
  setTemperature(celsius: number): void;
  /** Every `set` the simulator asked of the chassis control script, e.g. ["power 0", "power 1"]. */
  controlLog(): string[];
  stop(): Promise<void>;
}

/** chassis_control protocol (OpenIPMI lanserv/ipmi_sim_chassiscontrol): `<mc> get parm…` / `<mc> set parm val…`. */
const CHASSIS_SCRIPT = `#!/bin/sh
state="$(dirname "$0")/power"
shift
op=$1; shift
case $op in
get) for p in "$@"; do
       case $p in
       power) v=$(cat "$state" 2>/dev/null || echo 1);;
       boot) v=default;;
       *) echo "unknown parameter $p"; exit 1;;
       esac
       echo "$p:$v"
     done;;
set) while [ $# -gt 1 ]; do
       echo "$1 $2" >> "$(dirname "$0")/control.log"
       case $1 in power) echo "$2" > "$state";; reset|boot) ;; *) echo "unknown parameter $1"; exit 1;; esac
       shift 2
     done;;
*) echo "unknown operation $op"; exit 1;;
esac
`;

/** Full sensor record (IPMI 2.0 §43.1) for sensor 1, temperature, unsigned, M=1, degrees C, "CPU Temp". */
const CPU_TEMP_SDR = [
  "0x00 0x00 0x51 0x01 0x33", // record id (assigned by the repository), SDR 1.5, type 01, length 51
  "0x20 0x00 0x01", // owner 0x20, LUN 0, sensor 1
  "0x03 0x01 0x7f 0x68 0x01 0x01", // entity processor.1, init, capabilities, type temperature, threshold
  "0x00 0x00 0x00 0x00 0x00 0x00", // event masks
  "0x00 0x01 0x00 0x00 0x01 0x00 0x00 0x00 0x00 0x00", // unsigned, degrees C, linear, M=1, B=0, exponents 0
  "0x00 0x00 0x00 0x00 0xff 0x00", // analog flags, nominal/normal, sensor max/min
  "0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00", // thresholds, hysteresis, reserved, OEM
  "0xc8 0x43 0x50 0x55 0x20 0x54 0x65 0x6d 0x70", // 8-bit ASCII, 8 chars: "CPU Temp"
].join(" ");

export async function freeUdpPort(): Promise<number> {
  const sock = createSocket("udp4");
  await new Promise<void>((resolve) => sock.bind(0, "127.0.0.1", resolve));
  const { port } = sock.address();
  await new Promise<void>((resolve) => sock.close(() => resolve()));
  return port;
}

/** Whether something listens on UDP 127.0.0.1:port (Linux /proc/net/udp; local address is hex). */
function udpBound(port: number): boolean {
  const hex = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  return readFileSync("/proc/net/udp", "utf8").includes(hex);
}

/** The simulated BMC's FRU inventory (what `ipmitool fru print 0` shows; the bridge's attributes). */
export const FRU_PRODUCT = { manufacturer: "Umbra Labs", name: "SIM-1U", serial: "SIM0001" };

/**
 * A FRU image with a common header and a product info area (IPMI Platform Management FRU Information
 * Storage Definition v1.0: 8-byte multiples, type/length bytes 0xC0|len for ASCII, 0xC1 ends the
 * fields, each area's last byte makes its sum 0 mod 256).
 */
function fruImage(p: typeof FRU_PRODUCT): number[] {
  const field = (t: string) => [0xc0 | t.length, ...Buffer.from(t, "ascii")];
  const fields = [p.manufacturer, p.name, "", "", p.serial, "", ""].flatMap(field);
  const area = [0x01, 0, 0x00, ...fields, 0xc1];
  while ((area.length + 1) % 8 !== 0) area.push(0);
  area[1] = (area.length + 1) / 8;
  const sum = (bytes: number[]) => (0x100 - (bytes.reduce((a, b) => a + b, 0) % 0x100)) % 0x100;
  area.push(sum(area));
  const header = [0x01, 0, 0, 0, 1, 0, 0];
  header.push(sum(header));
  return [...header, ...area];
}
const FRU = fruImage(FRU_PRODUCT);

export async function startIpmiSim(): Promise<IpmiSim> {
  const dir = tempDir("umbra-ipmi-");
  const port = await freeUdpPort();
  const username = "admin";
  const password = "ipmi-test-pass";
  const script = join(dir, "chassis_control");
  writeFileSync(script, CHASSIS_SCRIPT);
  chmodSync(script, 0o755);
  writeFileSync(join(dir, "power"), "1\n");
  writeFileSync(join(dir, "cpu-temp"), "42\n");
  writeFileSync(
    join(dir, "lan.conf"),
    `name "umbra-test"
set_working_mc 0x20
  startlan 1
    addr 127.0.0.1 ${port}
    priv_limit admin
    allowed_auths_callback none md2 md5 straight
    allowed_auths_user none md2 md5 straight
    allowed_auths_operator none md2 md5 straight
    allowed_auths_admin none md2 md5 straight
    guid a123456789abcdefa123456789abcdef
  endlan
  chassis_control "${script} 0x20"
  user 2 true "${username}" "${password}" admin 10 none md2 md5 straight
`,
  );
  writeFileSync(
    join(dir, "bmc.emu"),
    `mc_setbmc 0x20
mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02
sel_enable 0x20 1000 0x0a
sensor_add 0x20 0 1 0x01 0x01 poll 200 file "${join(dir, "cpu-temp")}"
sensor_set_event_support 0x20 0 1 enable scanning per-state 000000000000000 000000000000000 000000000000000 000000000000000
main_sdr_add 0x20 ${CPU_TEMP_SDR}
mc_add_fru_data 0x20 0 ${FRU.length} data ${FRU.map((b) => `0x${b.toString(16).padStart(2, "0")}`).join(" ")}
mc_enable 0x20
`,
  );
  const child: ChildProcess = spawn(
    IPMI_SIM_BIN,
    ["-c", join(dir, "lan.conf"), "-f", join(dir, "bmc.emu"), "-s", dir, "-n"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout?.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  for (let i = 0; i < 100 && !udpBound(port); i++) {
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!udpBound(port)) {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`ipmi_sim did not bind 127.0.0.1:${port}/udp within 5 s: ${output}`);
  }
  return {
    port,
    username,
    password,
    power: () => (readFileSync(join(dir, "power"), "utf8").trim() === "0" ? "off" : "on"),
    controlLog: () => {
      const file = join(dir, "control.log");
      return existsSync(file)
        ? readFileSync(file, "utf8")
            .split("\n")
            .filter((l) => l !== "")
        : [];
    },
    setPower: (on) => writeFileSync(join(dir, "power"), on ? "1\n" : "0\n"),
    setTemperature: (c) => writeFileSync(join(dir, "cpu-temp"), `${c}\n`),
    stop: async () => {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 2000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
