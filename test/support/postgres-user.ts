import { execFileSync } from 'node:child_process';
import { chownSync } from 'node:fs';

let owner: { uid: number; gid: number } | undefined;

/** Hands `paths` to the `postgres` user (the servers refuse to run as root, and run as it when the tests are). */
export function chownToPostgres(...paths: string[]): void {
  owner ??= {
    uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
  };
  for (const path of paths) chownSync(path, owner.uid, owner.gid);
}
