/**
 * The pieces of point-in-time recovery from the DR backups: the archive and restore commands,
 * run by the shell as PostgreSQL runs them, and the WAL record checksum.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { archiveCommand, crc32c, restoreCommand } from "../../lib/drill/pitr";

/** Runs an archive or restore command as PostgreSQL would: `%p`, `%f`, `%%` expanded, `sh -c`, in `cwd`. */
function runCommand(
  command: string,
  cwd: string,
  p: string,
  f: string,
): { status: number | null; output: string } {
  const expanded = command.replace(/%([pf%])/g, (_all, key: string) =>
    key === "p" ? p : key === "f" ? f : "%",
  );
  const result = spawnSync("sh", ["-c", expanded], { cwd, encoding: "utf8" });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe("archiveCommand and restoreCommand", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "tap-pitr-commands-"));
    fs.mkdirSync(path.join(dir, "data", "pg_wal"), { recursive: true });
    // A space, a quote and a "%f" in the archive path: quoted for the shell, % escaped.
    fs.mkdirSync(path.join(dir, "dr backups's %f wal"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("ships a segment under its own name, accepts an identical re-archive, refuses to overwrite a different file", () => {
    const wal = path.join(dir, "dr backups's %f wal");
    const data = path.join(dir, "data");
    const segment = "000000010000000000000007";
    fs.writeFileSync(path.join(data, "pg_wal", segment), "first");
    const archive = (): { status: number | null; output: string } =>
      runCommand(archiveCommand(wal), data, `pg_wal/${segment}`, segment);

    expect(archive()).toEqual({ status: 0, output: "" });
    expect(fs.readdirSync(wal)).toEqual([segment]); // no temporary file left behind
    expect(fs.readFileSync(path.join(wal, segment), "utf8")).toBe("first");
    // The archiver retries a segment whose success it never learnt of: same content is success.
    expect(archive().status).toBe(0);
    // A different segment under the same name (another cluster, a reused directory) is refused,
    // so the archiver keeps it in pg_wal and retries, and the archived copy stays intact.
    fs.writeFileSync(path.join(data, "pg_wal", segment), "second");
    expect(archive().status).not.toBe(0);
    expect(fs.readFileSync(path.join(wal, segment), "utf8")).toBe("first");
  });

  it("restores a file from the archive, and exits 1 quietly for one the archive does not hold", () => {
    const wal = path.join(dir, "dr backups's %f wal");
    const data = path.join(dir, "data");
    fs.writeFileSync(path.join(wal, "000000010000000000000003"), "wal bytes");
    const restore = (name: string): { status: number | null; output: string } =>
      runCommand(restoreCommand(wal), data, "pg_wal/RECOVERYXLOG", name);

    expect(restore("000000010000000000000003")).toEqual({ status: 0, output: "" });
    expect(fs.readFileSync(path.join(data, "pg_wal", "RECOVERYXLOG"), "utf8")).toBe("wal bytes");
    expect(restore("00000002.history")).toEqual({ status: 1, output: "" });
  });

  it("WAL records are checked with CRC-32C (Castagnoli)", () => {
    expect(crc32c(Buffer.from("123456789"))).toBe(0xe3069283);
  });
});
