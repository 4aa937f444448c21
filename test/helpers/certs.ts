import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "./node.ts";

/**
 * Test certificates made with Debian's `openssl` binary (no npm PKI library is a dependency). Keys are
 * EC P-256, so a whole PKI takes a few hundred milliseconds. `openssl ca` signs every leaf because it
 * takes an explicit validity window (`-startdate/-enddate`), which `openssl x509 -req` only gained in
 * OpenSSL 3.4 — that is how the expired certificate is made without faking the clock.
 */

/** PEM file paths of a certificate and its private key. */
export interface CertFiles {
  cert: string;
  key: string;
}

export type CertUsage = "server" | "client";

export interface IssueOptions {
  /** Validity window as `YYYYMMDDHHMMSSZ`; default: from now for two days. */
  startDate?: string;
  endDate?: string;
  /** File name stem under the CA's `issued/` dir; default: the common name. */
  file?: string;
}

const OPENSSL = process.env.OPENSSL ?? "openssl";

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync(OPENSSL, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    const e = err as { code?: string; stderr?: Buffer };
    if (e.code === "ENOENT") {
      throw new Error("the `openssl` binary is not installed (Debian: apt-get install openssl)");
    }
    throw new Error(`openssl ${args.join(" ")} failed: ${e.stderr?.toString() ?? String(err)}`);
  }
}

const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];

/** A self-signed test CA in its own directory that issues server and client certificates. */
export class TestCa {
  readonly cert: string;
  readonly key: string;
  private readonly config: string;

  constructor(
    readonly dir: string,
    commonName: string,
  ) {
    mkdirSync(join(dir, "issued"), { recursive: true });
    this.cert = join(dir, "ca.crt");
    this.key = join(dir, "ca.key");
    this.config = join(dir, "ca.cnf");
    writeFileSync(join(dir, "index.txt"), "");
    writeFileSync(join(dir, "serial"), "1000\n");
    writeFileSync(this.config, caConfig(dir));
    openssl(
      [
        "req",
        "-x509",
        "-new",
        ...EC_KEY,
        "-keyout",
        this.key,
        "-out",
        this.cert,
        "-subj",
        `/CN=${commonName}`,
        "-days",
        "2",
        "-config",
        this.config,
        "-extensions",
        "v3_ca",
      ],
      dir,
    );
  }

  /** Issues a certificate with CN = `name` (files `<file>.crt`/`<file>.key` under this CA's dir). */
  issue(name: string, usage: CertUsage, opts: IssueOptions = {}): CertFiles {
    const base = join(this.dir, "issued", (opts.file ?? name).replace(/[^A-Za-z0-9_.-]/g, "_"));
    const files = { cert: `${base}.crt`, key: `${base}.key` };
    openssl(
      ["req", "-new", ...EC_KEY, "-keyout", files.key, "-out", `${base}.csr`, "-subj", `/CN=${name}`],
      this.dir,
    );
    const validity =
      opts.startDate || opts.endDate
        ? ["-startdate", opts.startDate ?? nowStamp(), "-enddate", opts.endDate ?? nowStamp(2)]
        : ["-days", "2"];
    openssl(
      [
        "ca",
        "-batch",
        "-notext",
        "-config",
        this.config,
        "-extensions",
        usage,
        "-in",
        `${base}.csr`,
        "-out",
        files.cert,
        ...validity,
      ],
      this.dir,
    );
    return files;
  }
}

function nowStamp(plusDays = 0): string {
  const d = new Date(Date.now() + plusDays * 86_400_000);
  return `${d.toISOString().replace(/[-:T]/g, "").slice(0, 14)}Z`;
}

function caConfig(dir: string): string {
  return `[ ca ]
default_ca = test_ca

[ test_ca ]
database = ${join(dir, "index.txt")}
new_certs_dir = ${join(dir, "issued")}
certificate = ${join(dir, "ca.crt")}
private_key = ${join(dir, "ca.key")}
serial = ${join(dir, "serial")}
default_md = sha256
default_days = 2
policy = policy_any
unique_subject = no
copy_extensions = none

[ policy_any ]
commonName = supplied

[ req ]
distinguished_name = req_dn

[ req_dn ]

[ v3_ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[ server ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[ client ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;
}

/** Everything a transport test needs: one trusted CA with a server certificate, and one unrelated CA. */
export interface TestPki {
  dir: string;
  /** The CA the node trusts (and clients trust for the node). */
  ca: TestCa;
  /** For 127.0.0.1 and localhost, signed by `ca`. */
  server: CertFiles;
  /** An unrelated CA whose certificates the node must not accept. */
  otherCa: TestCa;
  /** Client certificate (CN = name) from the trusted CA, made on first use and then reused. */
  client(name: string): CertFiles;
  /** Client certificate (CN = name) signed by the unrelated CA. */
  wrongCaClient(name: string): CertFiles;
  /** Client certificate (CN = name) from the trusted CA whose validity ended on 2 January 2020. */
  expiredClient(name: string): CertFiles;
  read(path: string): Buffer;
  remove(): void;
}

/** Creates a fresh PKI in a temp dir (call once per test file, `remove()` in afterAll). */
export function createTestPki(): TestPki {
  const dir = tempDir("umbra-pki-");
  const ca = new TestCa(join(dir, "ca"), "Umbra Test CA");
  const otherCa = new TestCa(join(dir, "other-ca"), "Unrelated Test CA");
  const server = ca.issue("localhost", "server");
  const made = new Map<string, CertFiles>();
  const once = (key: string, make: () => CertFiles) => {
    const hit = made.get(key);
    if (hit) return hit;
    const files = make();
    made.set(key, files);
    return files;
  };
  return {
    dir,
    ca,
    server,
    otherCa,
    client: (name) => once(`client:${name}`, () => ca.issue(name, "client")),
    wrongCaClient: (name) => once(`wrong:${name}`, () => otherCa.issue(name, "client")),
    expiredClient: (name) =>
      once(`expired:${name}`, () =>
        ca.issue(name, "client", {
          file: `expired-${name}`,
          startDate: "20200101000000Z",
          endDate: "20200102000000Z",
        }),
      ),
    read: (path) => readFileSync(path),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
