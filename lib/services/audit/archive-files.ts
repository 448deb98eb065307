import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

import type { Db } from "@/db/client";
import type { ArchiveFilesCheck, ArchiveRef } from "@/lib/core/audit/views";

const ARCHIVE_NAME = /^audit-archive-\d+-\d+\.jsonl\.gz$/;

type Recorded = ArchiveRef & { sha256: string; bytes: number };

/**
 * Looks for every recorded archive in `dir` and checks that the file there is the one retention
 * wrote (its SHA-256 and size, as recorded with it). A record whose file is absent is `missing`
 * (archives may be kept elsewhere: `audit verify --archive` checks a copy); one whose file
 * differs, or whose name is not an archive's, is `differ`. The rows inside are not re-verified
 * here: the hash ties the file to what was verified when it was written.
 */
export async function checkArchiveFiles(db: Db, dir: string): Promise<ArchiveFilesCheck | null> {
  const recorded = db.$client
    .prepare(
      `SELECT file, from_seq AS fromSeq, to_seq AS toSeq, file_sha256 AS sha256, bytes
       FROM audit_archives ORDER BY to_seq`,
    )
    .all() as Recorded[];
  if (recorded.length === 0) return null;
  const missing: ArchiveRef[] = [];
  const differ: (ArchiveRef & { why: string })[] = [];
  for (const a of recorded) {
    const ref = { file: a.file, fromSeq: a.fromSeq, toSeq: a.toSeq };
    // A record names a file in the folder, nothing else: never follow a path it makes up.
    if (!ARCHIVE_NAME.test(a.file)) {
      differ.push({ ...ref, why: "its recorded name is not an archive file's name" });
      continue;
    }
    const file = path.join(dir, a.file);
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    if (!stat) {
      missing.push(ref);
      continue;
    }
    if (!stat.isFile() || stat.size !== a.bytes) {
      differ.push({ ...ref, why: `its size is not the recorded ${a.bytes} bytes` });
      continue;
    }
    const hash = createHash("sha256");
    for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
    if (hash.digest("hex") !== a.sha256)
      differ.push({ ...ref, why: "its SHA-256 is not the recorded one (replaced or edited)" });
  }
  return {
    recorded: recorded.length,
    matched: recorded.length - missing.length - differ.length,
    missing,
    differ,
  };
}

/** One problem with the files, for a report's `why`. */
export function archiveFilesProblem(check: ArchiveFilesCheck | null): string | null {
  const first = check?.differ[0];
  if (!first) return null;
  const more = (check?.differ.length ?? 1) - 1;
  return `the archive file ${first.file} (rows ${first.fromSeq}–${first.toSeq}) is not the one recorded: ${first.why}${more > 0 ? `; ${more} more` : ""}`;
}
