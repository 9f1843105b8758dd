/**
 * Point-in-time recovery for the drill's "region-lost" scenario: the local stand-in for RDS's
 * cross-region automated backups (a base backup plus WAL shipped continuously) and the means to
 * tell how far they can restore (RDS `LatestRestorableTime`).
 *
 * Layout under the cluster directory (see {@link backupLayout}):
 *
 * ```
 * dr-backups/base/   the base backup: a copy of the primary's data directory with its backup_label
 * dr-backups/wal/    every WAL segment the primary's archiver shipped, by its own file name
 * ```
 *
 * Nothing here depends on a running server: the archive is read from its files, so everything
 * works after the primary and the replica are gone. PostgreSQL's own tools for reading WAL
 * (`pg_waldump`) and taking base backups (`pg_basebackup`) are not in the embedded binaries
 * (`initdb`, `pg_ctl` and `postgres` only), so this module reads the WAL format itself and the
 * cluster takes its base backup with the low-level backup API.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** Where the DR region's copy of the backups lives, relative to the cluster directory. */
export const BACKUP_DIR_NAME = "dr-backups";

/** The directories of the backup copy. */
export interface BackupLayout {
  /** `<cluster dir>/dr-backups`: stands for the DR region's backup storage. */
  readonly root: string;
  /** `dr-backups/base`: the base backup (a data directory with `backup_label`). */
  readonly base: string;
  /** `dr-backups/wal`: archived WAL segments, history and backup-history files. */
  readonly wal: string;
}

/** The backup layout of the cluster directory `rootDir`. */
export function backupLayout(rootDir: string): BackupLayout {
  const root = path.join(rootDir, BACKUP_DIR_NAME);
  return { root, base: path.join(root, "base"), wal: path.join(root, "wal") };
}

/** Quotes `value` as one word for `/bin/sh`. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Escapes `%` for PostgreSQL's `archive_command` / `restore_command`, which expand `%p`, `%f` and `%%`. */
function escapePercent(value: string): string {
  return value.replace(/%/g, "%%");
}

/** Quotes `value` as a string in `postgresql.conf` (quotes doubled, backslashes escaped). */
export function confQuote(value: string): string {
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;
}

/**
 * The primary's `archive_command`: copies the finished segment `%p` into `walDir` under its own
 * name `%f`, atomically (copy to a hidden temporary name, then rename within the directory, so a
 * reader never sees half a segment), and refuses to overwrite an existing file unless it is
 * identical. The PostgreSQL docs ("Setting Up WAL Archiving") ask for exactly this: an archive
 * command "should generally be designed to refuse to overwrite any pre-existing archive file",
 * and may return success when the file is already there with the same contents (the archiver
 * retries a segment whose success it never learnt of, e.g. after a crash). A non-zero exit
 * leaves the segment in `pg_wal` and the archiver retries it; nothing is lost.
 *
 * No fsync: the drill runs with `fsync = off` and keeps the archive on the same machine.
 */
export function archiveCommand(walDir: string): string {
  const dir = escapePercent(shellQuote(walDir));
  return (
    `f=%f; d=${dir}; ` +
    `if [ -f "$d/$f" ]; then cmp -s "%p" "$d/$f"; ` +
    `else cp "%p" "$d/.$f.tmp" && mv "$d/.$f.tmp" "$d/$f"; fi`
  );
}

/**
 * The restored node's `restore_command`: copies `%f` from the archive to `%p`, and exits 1
 * without a message when the archive does not hold it (the normal end of recovery, and every
 * probe for a timeline history file that does not exist).
 */
export function restoreCommand(walDir: string): string {
  const dir = escapePercent(shellQuote(walDir));
  return `[ -f ${dir}/"%f" ] && cp ${dir}/"%f" "%p"`;
}

// ---------------------------------------------------------------------------------------------
// Base backup: copying a live data directory the way pg_basebackup does.
// ---------------------------------------------------------------------------------------------

/**
 * Top-level directories whose contents a base backup leaves out (the directory itself is kept):
 * the list of the PostgreSQL docs ("Making a Base Backup Using the Low Level API") and of
 * pg_basebackup. `pg_wal` is rebuilt from the archive, `pg_replslot` would resurrect the
 * primary's slot, the rest is runtime state.
 */
const EMPTIED_DIRECTORIES = new Set([
  "pg_wal",
  "pg_replslot",
  "pg_dynshmem",
  "pg_notify",
  "pg_serial",
  "pg_snapshots",
  "pg_stat_tmp",
  "pg_subtrans",
]);

/** Top-level files a base backup leaves out: the running server's, and recovery's own. */
const OMITTED_FILES = new Set([
  "postmaster.pid",
  "postmaster.opts",
  "backup_label",
  "backup_label.old",
  "tablespace_map",
  "tablespace_map.old",
  "standby.signal",
  "recovery.signal",
]);

/** Owner of the files a copy creates (we may be root while PostgreSQL runs as another user). */
export interface FileOwner {
  readonly uid: number;
  readonly gid: number;
}

/**
 * Copies the data directory `source` of a running server to `dest` (which must not exist), for
 * an online base backup between `pg_backup_start` and `pg_backup_stop`. Files that vanish while
 * the copy runs are skipped, as pg_basebackup does (a dropped relation, a removed temporary
 * file): WAL replay from the backup's start recreates whatever state they had. Torn pages are
 * repaired by the full-page images the server writes while a backup runs.
 *
 * @returns the number of bytes copied.
 */
export async function copyDataDirectory(source: string, dest: string, owner?: FileOwner): Promise<number> {
  return copyTree(source, dest, owner, true);
}

async function copyTree(
  source: string,
  dest: string,
  owner: FileOwner | undefined,
  top: boolean,
): Promise<number> {
  await makeOwnedDirectory(dest, owner);
  let entries: fs.Dirent[];
  try {
    entries = await fs.promises.readdir(source, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw error;
  }
  let bytes = 0;
  for (const entry of entries) {
    const from = path.join(source, entry.name);
    const to = path.join(dest, entry.name);
    if (entry.name.startsWith("pgsql_tmp") || entry.name === "pg_internal.init") continue;
    if (top && OMITTED_FILES.has(entry.name)) continue;
    if (entry.isDirectory()) {
      if (top && EMPTIED_DIRECTORIES.has(entry.name)) {
        await makeOwnedDirectory(to, owner);
        if (entry.name === "pg_wal") await makeOwnedDirectory(path.join(to, "archive_status"), owner);
      } else {
        bytes += await copyTree(from, to, owner, false);
      }
    } else if (entry.isFile()) {
      try {
        await fs.promises.copyFile(from, to);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
        throw error;
      }
      await fs.promises.chmod(to, 0o600);
      if (owner) await fs.promises.chown(to, owner.uid, owner.gid);
      bytes += (await fs.promises.stat(to)).size;
    } else if (entry.isSymbolicLink()) {
      // pg_tblspc holds one link per tablespace; the drill creates none.
      throw new Error(
        `${from} is a symbolic link (a tablespace?): the drill's base backup copies no tablespaces`,
      );
    }
  }
  return bytes;
}

async function makeOwnedDirectory(dir: string, owner: FileOwner | undefined): Promise<void> {
  await fs.promises.mkdir(dir, { mode: 0o700 });
  if (owner) await fs.promises.chown(dir, owner.uid, owner.gid);
}

/** The fields of a `backup_label` file that recovery starts from. */
export interface BackupLabel {
  /** `START WAL LOCATION`, e.g. `0/2000028`. */
  readonly startLsn: string;
  /** The segment holding the start location, e.g. `000000010000000000000002`. */
  readonly startSegment: string;
  /** `START TIMELINE`. */
  readonly timeline: number;
}

/** Parses the `backup_label` text that `pg_backup_stop` returns. */
export function parseBackupLabel(text: string): BackupLabel {
  const start = /^START WAL LOCATION: ([0-9A-F]+\/[0-9A-F]+) \(file ([0-9A-F]{24})\)$/m.exec(text);
  const timeline = /^START TIMELINE: (\d+)$/m.exec(text);
  if (!start || !timeline) throw new Error(`not a backup_label: ${JSON.stringify(text.slice(0, 200))}`);
  return { startLsn: start[1], startSegment: start[2], timeline: Number(timeline[1]) };
}

// ---------------------------------------------------------------------------------------------
// Reading the WAL archive.
// ---------------------------------------------------------------------------------------------

/** `XLOG_PAGE_MAGIC` of the major versions whose WAL record layout this reader knows. */
const PAGE_MAGIC_VERSIONS = new Map<number, number>([
  [0xd10d, 14],
  [0xd110, 15],
  [0xd113, 16],
  [0xd116, 17],
]);
const XLOG_BLCKSZ = 8192;
const SHORT_PAGE_HEADER = 24;
const LONG_PAGE_HEADER = 40;
const XLP_FIRST_IS_CONTRECORD = 0x0001;
const XLP_LONG_HEADER = 0x0002;
const XLP_FIRST_IS_OVERWRITE_CONTRECORD = 0x0008;
const XLP_ALL_FLAGS = 0x000f;
/** `SizeOfXLogRecord`: xl_tot_len, xl_xid, xl_prev, xl_info, xl_rmid, 2 padding bytes, xl_crc. */
const RECORD_HEADER = 24;
const CRC_OFFSET = 20;
const RM_XLOG_ID = 0;
const RM_XACT_ID = 1;
const XLOG_SWITCH = 0x40;
const XLOG_XACT_OPMASK = 0x70;
const XLOG_XACT_COMMIT = 0x00;
const XLOG_XACT_COMMIT_PREPARED = 0x30;
const XLR_MAX_BLOCK_ID = 32;
const XLR_BLOCK_ID_DATA_SHORT = 255;
const XLR_BLOCK_ID_DATA_LONG = 254;
const XLR_BLOCK_ID_ORIGIN = 253;
const XLR_BLOCK_ID_TOPLEVEL_XID = 252;
const BKPBLOCK_HAS_IMAGE = 0x10;
const BKPBLOCK_SAME_REL = 0x80;
const BKPIMAGE_HAS_HOLE = 0x01;
/** PostgreSQL's epoch (2000-01-01T00:00:00Z) in Unix microseconds. */
const PG_EPOCH_UNIX_US = 946_684_800_000_000n;
const SEGMENT_NAME = /^[0-9A-F]{24}$/;

/** A COMMIT record found in the archive. */
export interface ArchivedCommit {
  /** The committed top-level transaction id (`xl_xid`, 32 bits). */
  readonly xid: number;
  /** The commit timestamp PostgreSQL recorded (`xact_time`), Unix microseconds. */
  readonly commitTimeUs: bigint;
  /** {@link commitTimeUs} rounded down to milliseconds. */
  readonly commitTimeMs: number;
  /** Where the record starts, e.g. `0/3000A28`. */
  readonly lsn: string;
}

/** What the readable, contiguous part of the archive holds, as far as {@link WalArchiveReader.read} got. */
export interface ArchiveState {
  /** Segment files read so far. */
  readonly segmentsRead: number;
  /** The newest segment read, or null before the first. */
  readonly lastSegment: string | null;
  /** End of the newest complete, valid record: recovery to the end of the archive replays up to here. */
  readonly endLsn: string | null;
  /** The newest COMMIT record (in WAL order) among the complete, valid records. */
  readonly lastCommit: ArchivedCommit | null;
  /**
   * Why reading stopped for good, when the archive holds WAL that recovery would not replay (a
   * record failing its CRC, a page with a wrong address): nothing after it counts.
   */
  readonly invalidWal: string | null;
}

/** Options of {@link WalArchiveReader}. */
export interface WalArchiveReaderOptions {
  /** Timeline whose segments are read (the backup's `START TIMELINE`; default 1). */
  readonly timeline?: number;
  /**
   * The base backup's start segment: a segment missing before it does not matter to a restore
   * (the base backup holds its effect), one missing at or after it ends what can be restored.
   * Without it every gap ends the readable archive.
   */
  readonly restoreStartSegment?: string;
  /** Called for every COMMIT record, in WAL order. */
  readonly onCommit?: (commit: ArchivedCommit) => void;
}

type RecordOutcome = "next" | "switch" | "invalid";

/**
 * Reads the WAL archive record by record, the way recovery would, and reports the newest commit
 * it holds. Incremental: archived segments never change (they appear by an atomic rename), so
 * each {@link read} parses only the segments archived since the previous one, carrying a record
 * that spans two segments over.
 *
 * Validation, as in PostgreSQL's `xlogreader.c`: page magic, flags and address; `xl_prev`
 * chaining; the record's CRC-32C; continuation lengths. The first failure ends the readable WAL,
 * exactly where recovery would stop. An `XLOG_SWITCH` record ends its segment. A page flagged
 * `XLP_FIRST_IS_OVERWRITE_CONTRECORD` abandons the record left incomplete by a crash.
 */
export class WalArchiveReader {
  private readonly timeline: number;
  private readonly restoreStartSegment: string | null;
  private readonly onCommit?: (commit: ArchivedCommit) => void;
  private segmentSize: number | null = null;
  private pageMagicVersion: number | null = null;
  private nextSegno: number | null = null;
  private pending: { buffer: Buffer; have: number; lsn: bigint } | null = null;
  private prevLsn: bigint | null = null;
  private segmentsRead = 0;
  private lastSegment: string | null = null;
  private endLsn: bigint | null = null;
  private lastCommit: ArchivedCommit | null = null;
  private invalidWal: string | null = null;

  constructor(
    readonly walDir: string,
    options: WalArchiveReaderOptions = {},
  ) {
    this.timeline = options.timeline ?? 1;
    this.onCommit = options.onCommit;
    this.restoreStartSegment = options.restoreStartSegment ?? null;
  }

  /** Reads the segments archived since the last call; returns the state of the whole archive. */
  read(): ArchiveState {
    while (this.invalidWal === null) {
      const segments = this.listSegments();
      if (segments.length === 0) break;
      if (this.segmentSize === null) this.learnSegmentSize(segments[0].name);
      const size = this.segmentSize as number;
      const numbered = segments.map((s) => ({ ...s, segno: segmentNumber(s.name, size) }));
      const next = this.nextSegno;
      let target = next === null ? numbered[0] : numbered.find((s) => s.segno === next);
      if (!target && next !== null) {
        // A gap: harmless only before the base backup's start.
        const later = numbered.find((s) => s.segno > next);
        const restoreStart =
          this.restoreStartSegment === null ? null : segmentNumber(this.restoreStartSegment, size);
        if (later && restoreStart !== null && later.segno <= restoreStart) {
          this.pending = null;
          this.prevLsn = null;
          target = later;
        }
      }
      if (!target) break;
      this.readSegment(target.name, target.segno);
      this.nextSegno = target.segno + 1;
      this.segmentsRead += 1;
      this.lastSegment = target.name;
    }
    return {
      segmentsRead: this.segmentsRead,
      lastSegment: this.lastSegment,
      endLsn: this.endLsn === null ? null : formatLsn(this.endLsn),
      lastCommit: this.lastCommit,
      invalidWal: this.invalidWal,
    };
  }

  private listSegments(): { name: string }[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.walDir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
    return names
      .filter((name) => SEGMENT_NAME.test(name) && parseInt(name.slice(0, 8), 16) === this.timeline)
      .sort()
      .map((name) => ({ name }));
  }

  /** The segment size from the long page header that starts every segment (`xlp_seg_size`). */
  private learnSegmentSize(name: string): void {
    const fd = fs.openSync(path.join(this.walDir, name), "r");
    try {
      const header = Buffer.alloc(LONG_PAGE_HEADER);
      fs.readSync(fd, header, 0, LONG_PAGE_HEADER, 0);
      const size = header.readUInt32LE(32);
      const blockSize = header.readUInt32LE(36);
      if (blockSize !== XLOG_BLCKSZ || size < 1 << 20 || (size & (size - 1)) !== 0) {
        throw new Error(`${name}: unexpected WAL geometry (segment ${size} bytes, block ${blockSize} bytes)`);
      }
      this.segmentSize = size;
    } finally {
      fs.closeSync(fd);
    }
  }

  private readSegment(name: string, segno: number): void {
    const size = this.segmentSize as number;
    const data = fs.readFileSync(path.join(this.walDir, name));
    if (data.length !== size) {
      this.invalidWal = `${name} holds ${data.length} bytes, not a whole ${size}-byte segment`;
      return;
    }
    const segmentLsn = BigInt(segno) * BigInt(size);
    for (let base = 0; base < size; base += XLOG_BLCKSZ) {
      const pageLsn = segmentLsn + BigInt(base);
      const magic = data.readUInt16LE(base);
      const info = data.readUInt16LE(base + 2);
      const version = PAGE_MAGIC_VERSIONS.get(magic);
      if (
        version === undefined ||
        (info & ~XLP_ALL_FLAGS) !== 0 ||
        data.readBigUInt64LE(base + 8) !== pageLsn
      ) {
        this.invalidWal = `invalid WAL page header at ${formatLsn(pageLsn)} (${name})`;
        return;
      }
      this.pageMagicVersion ??= version;
      const end = base + XLOG_BLCKSZ;
      let offset = base + (info & XLP_LONG_HEADER ? LONG_PAGE_HEADER : SHORT_PAGE_HEADER);
      const remaining = data.readUInt32LE(base + 16);
      if (info & XLP_FIRST_IS_OVERWRITE_CONTRECORD) this.pending = null;
      if (info & XLP_FIRST_IS_CONTRECORD) {
        if (this.pending === null) {
          // The tail of a record that began before what we read (or was abandoned): skip it.
          offset += Math.min(align8(remaining), end - offset);
        } else if (remaining !== this.pending.buffer.length - this.pending.have) {
          this.invalidWal = `continuation length mismatch at ${formatLsn(pageLsn)} (${name})`;
          return;
        }
      } else if (this.pending !== null) {
        this.invalidWal = `record at ${formatLsn(this.pending.lsn)} has no continuation at ${formatLsn(pageLsn)}`;
        return;
      }
      while (offset < end) {
        let record: Buffer;
        let lsn: bigint;
        if (this.pending !== null) {
          const pending = this.pending;
          const count = Math.min(pending.buffer.length - pending.have, end - offset);
          data.copy(pending.buffer, pending.have, offset, offset + count);
          pending.have += count;
          offset += count;
          if (pending.have < pending.buffer.length) break; // continues on the next page
          this.pending = null;
          record = pending.buffer;
          lsn = pending.lsn;
        } else {
          lsn = pageLsn + BigInt(offset - base);
          const totalLength = data.readUInt32LE(offset);
          if (totalLength < RECORD_HEADER) {
            // Zeros where a record should start: recovery's end of WAL. A finished segment ends
            // in an XLOG_SWITCH record or with its last page full, so this is the end for good.
            this.invalidWal = `no valid record at ${formatLsn(lsn)} (${name})`;
            return;
          }
          if (offset + totalLength > end) {
            this.pending = { buffer: Buffer.alloc(totalLength), have: 0, lsn };
            continue;
          }
          record = data.subarray(offset, offset + totalLength);
          offset += totalLength;
        }
        const outcome = this.handleRecord(record, lsn);
        if (outcome === "invalid") return;
        if (outcome === "switch") return; // the rest of the segment is unused
        offset = align8(offset);
      }
    }
  }

  private handleRecord(record: Buffer, lsn: bigint): RecordOutcome {
    const prev = record.readBigUInt64LE(8);
    if (this.prevLsn !== null && prev !== this.prevLsn) {
      this.invalidWal = `record at ${formatLsn(lsn)} points back to ${formatLsn(prev)}, not ${formatLsn(this.prevLsn)}`;
      return "invalid";
    }
    let crc = crc32cUpdate(0xffffffff, record, RECORD_HEADER, record.length);
    crc = crc32cUpdate(crc, record, 0, CRC_OFFSET);
    if ((crc ^ 0xffffffff) >>> 0 !== record.readUInt32LE(CRC_OFFSET)) {
      this.invalidWal = `record at ${formatLsn(lsn)} fails its CRC`;
      return "invalid";
    }
    this.prevLsn = lsn;
    this.endLsn = lsn + BigInt(record.length);
    const info = record[16];
    const rmid = record[17];
    if (rmid === RM_XLOG_ID && (info & 0xf0) === XLOG_SWITCH) return "switch";
    if (rmid === RM_XACT_ID) {
      const op = info & XLOG_XACT_OPMASK;
      if (op === XLOG_XACT_COMMIT || op === XLOG_XACT_COMMIT_PREPARED) {
        const main = mainData(record, this.pageMagicVersion ?? 14);
        if (main === null || main.length < 8) {
          this.invalidWal = `commit record at ${formatLsn(lsn)} has no commit time`;
          return "invalid";
        }
        // xl_xact_commit starts with TimestampTz xact_time: microseconds since 2000-01-01 UTC.
        const commitTimeUs = main.readBigInt64LE(0) + PG_EPOCH_UNIX_US;
        const commit: ArchivedCommit = {
          xid: record.readUInt32LE(4),
          commitTimeUs,
          commitTimeMs: Number(commitTimeUs / 1000n),
          lsn: formatLsn(lsn),
        };
        this.lastCommit = commit;
        this.onCommit?.(commit);
      }
    }
    return "next";
  }
}

/**
 * The main data of a WAL record: it comes last, after the block reference headers, their
 * images and data; its length is in the `XLR_BLOCK_ID_DATA_SHORT/LONG` header that ends the
 * headers. Null when the record has none. (`xlogrecord.h`; the image-compression bits of
 * `bimg_info` moved in PostgreSQL 15.)
 */
function mainData(record: Buffer, version: number): Buffer | null {
  let offset = RECORD_HEADER;
  while (offset < record.length) {
    const id = record[offset];
    if (id === XLR_BLOCK_ID_DATA_SHORT) return record.subarray(record.length - record[offset + 1]);
    if (id === XLR_BLOCK_ID_DATA_LONG)
      return record.subarray(record.length - record.readUInt32LE(offset + 1));
    if (id === XLR_BLOCK_ID_ORIGIN) {
      offset += 3;
    } else if (id === XLR_BLOCK_ID_TOPLEVEL_XID) {
      offset += 5;
    } else if (id <= XLR_MAX_BLOCK_ID) {
      const forkFlags = record[offset + 1];
      offset += 4; // id, fork_flags, data_length
      if (forkFlags & BKPBLOCK_HAS_IMAGE) {
        const imageInfo = record[offset + 4];
        offset += 5; // length, hole_offset, bimg_info
        const compressed = version >= 15 ? (imageInfo & 0x1c) !== 0 : (imageInfo & 0x02) !== 0;
        if (imageInfo & BKPIMAGE_HAS_HOLE && compressed) offset += 2; // hole_length
      }
      if (!(forkFlags & BKPBLOCK_SAME_REL)) offset += 12; // RelFileNode
      offset += 4; // block number
    } else {
      return null;
    }
  }
  return null;
}

/** Segment number of a WAL file name (timeline, log and segment, 8 hex digits each) for segments of `size` bytes. */
function segmentNumber(name: string, size: number): number {
  const log = parseInt(name.slice(8, 16), 16);
  const seg = parseInt(name.slice(16, 24), 16);
  return log * (0x1_0000_0000 / size) + seg;
}

function align8(value: number): number {
  return (value + 7) & ~7;
}

/** `X/Y` notation of an LSN. */
export function formatLsn(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let bit = 0; bit < 8; bit++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[i] = c >>> 0;
  }
  return table;
})();

function crc32cUpdate(crc: number, data: Buffer, start: number, end: number): number {
  let c = crc >>> 0;
  for (let i = start; i < end; i++) c = CRC32C_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return c >>> 0;
}

/** CRC-32C (Castagnoli), as PostgreSQL checksums WAL records with. */
export function crc32c(data: Buffer): number {
  return (crc32cUpdate(0xffffffff, data, 0, data.length) ^ 0xffffffff) >>> 0;
}
