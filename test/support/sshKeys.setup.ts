// The ssh project's global setup: one host key and one client key for the whole run (every
// sshd of the run serves the same host key and authorizes the same client key), handed to the
// test workers through EXCHANGE_CAS_TEST_SSH_KEYS, and removed when the run ends.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { generateSshKeys } from "./sshd";

export default function setup(): () => void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "excas-sshkeys-"));
  generateSshKeys(path.join(dir, "keys"));
  process.env.EXCHANGE_CAS_TEST_SSH_KEYS = path.join(dir, "keys");
  return () => fs.rmSync(dir, { recursive: true, force: true });
}
