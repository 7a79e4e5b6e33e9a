/**
 * podman for the container test: its settings, and a base image made from this machine's own
 * node (no registry is reachable here). The base is what the Containerfile's BASE asks for:
 * node on the PATH and a user 1000 — the node binary, the shared libraries it links, and a
 * minimal /etc. Made once per node version and kept; it takes a second.
 */
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/**
 * runc and cgroupfs work in containers and sandboxes where crun and systemd do not, and the
 * ulimits stay under the hard limits such a sandbox has; an ordinary machine runs them as well.
 */
const containersConf = `[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
`;

let confPath: string | undefined;

export function podmanEnvironment(): NodeJS.ProcessEnv {
  if (!confPath) {
    confPath = join(mkdtempSync(join(tmpdir(), 'guestpass-podman-')), 'containers.conf');
    writeFileSync(confPath, containersConf);
  }
  return { ...process.env, CONTAINERS_CONF: process.env.CONTAINERS_CONF ?? confPath };
}

export async function podman(args: readonly string[], options: { input?: string } = {}): Promise<string> {
  const { stdout } = await exec('podman', [...args], { env: podmanEnvironment(), maxBuffer: 64 * 1024 * 1024, ...options });
  return stdout.trim();
}

/** What the container wrote, stdout and stderr (podman passes the container's stderr on as its own). */
export async function podmanLogs(container: string): Promise<string> {
  const { stdout, stderr } = await exec('podman', ['logs', container], { env: podmanEnvironment(), maxBuffer: 16 * 1024 * 1024 });
  return `${stdout}${stderr}`;
}

export async function podmanAvailable(): Promise<boolean> {
  try {
    await podman(['--version']);
    return true;
  } catch {
    return false;
  }
}

/** The base image for this node version, made now when it does not exist yet. */
export async function nodeBaseImage(): Promise<string> {
  const tag = `localhost/guestpass-test-base:node-${process.version.slice(1)}`;
  const exists = await podman(['image', 'exists', tag]).then(
    () => true,
    () => false,
  );
  if (exists) return tag;
  const rootfs = mkdtempSync(join(tmpdir(), 'guestpass-rootfs-'));
  try {
    for (const directory of ['usr/bin', 'etc', 'tmp', 'app']) mkdirSync(join(rootfs, directory), { recursive: true });
    chmodSync(join(rootfs, 'tmp'), 0o1777);
    copyFileSync(process.execPath, join(rootfs, 'usr/bin/node'));
    chmodSync(join(rootfs, 'usr/bin/node'), 0o755);
    const { stdout } = await exec('ldd', [process.execPath]);
    // "libz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x…)" and "/lib64/ld-linux-x86-64.so.2 (0x…)".
    const libraries = [...stdout.matchAll(/(?:=> )?(\/\S+) \(0x/g)].map((match) => match[1]!);
    for (const library of libraries) {
      mkdirSync(join(rootfs, dirname(library)), { recursive: true });
      copyFileSync(library, join(rootfs, library));
    }
    writeFileSync(join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/false\nnode:x:1000:1000:node:/app:/bin/false\n');
    writeFileSync(join(rootfs, 'etc/group'), 'root:x:0:\nnode:x:1000:\n');
    writeFileSync(join(rootfs, 'etc/nsswitch.conf'), 'hosts: files dns\n');
    writeFileSync(join(rootfs, 'etc/hosts'), '127.0.0.1 localhost\n::1 localhost\n');
    const archive = join(tmpdir(), `guestpass-rootfs-${process.pid}.tar`);
    await exec('tar', ['-C', rootfs, '-cf', archive, '.']);
    try {
      await podman(['import', '--quiet', archive, tag]);
    } finally {
      rmSync(archive, { force: true });
    }
    return tag;
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
}
