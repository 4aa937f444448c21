import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { lstat, open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/**
 * Replaces a file's contents atomically: a reader sees the old file or the new one, never a torn
 * write, and a crash leaves the old file in place. The new file is written next to the target
 * (same file system, so rename is atomic), synced, renamed over it, and the directory synced.
 *
 * A symlink at the target is replaced by the new file, not followed: a link planted in the allowed
 * location cannot redirect the write to another file.
 */
export async function writeFileAtomic(path: string, content: Buffer, mode?: number): Promise<void> {
  const dir = dirname(path);
  let keepMode = mode;
  let owner: { uid: number; gid: number } | undefined;
  try {
    const st = await lstat(path);
    if (st.isFile()) {
      keepMode ??= st.mode & 0o7777;
      owner = { uid: st.uid, gid: st.gid };
    }
  } catch {
    // a new file
  }
  const tmp = join(dir, `.${basename(path)}.umbra-${process.pid}-${randomBytes(4).toString("hex")}.tmp`);
  // O_EXCL|O_NOFOLLOW: never write through a link or into a file someone prepared at the temporary name.
  const fh = await open(
    tmp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    await fh.writeFile(content);
    await fh.chmod(keepMode ?? 0o644);
    if (owner && process.getuid?.() === 0) await fh.chown(owner.uid, owner.gid).catch(() => {});
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => {});
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  const dh = await open(dir, constants.O_RDONLY).catch(() => undefined);
  await dh?.sync().catch(() => {});
  await dh?.close();
}
