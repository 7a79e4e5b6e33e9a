/**
 * Which guestpass a management command speaks to, and as which client. Like `kcadm`, from the
 * command line, the environment or a profile file, in that order of precedence:
 *
 * - `--issuer`, `--client-id`, `--profile`;
 * - `GUESTPASS_ISSUER`, `GUESTPASS_CLIENT_ID`, `GUESTPASS_CLIENT_SECRET` (or
 *   `GUESTPASS_CLIENT_SECRET_FILE`), `GUESTPASS_PROFILE`;
 * - the profile file, `GUESTPASS_PROFILES` or `$XDG_CONFIG_HOME/guestpass/profiles.json`
 *   (`~/.config/…`): `{"default": "prod", "profiles": {"prod": {"issuer", "clientId",
 *   "clientSecret" | "clientSecretFile"}}}`.
 *
 * A secret is never an option (the command line is visible to every user of the machine in
 * `ps`), and a profile file that holds one must be readable by its owner only, as ssh insists
 * for its keys.
 */
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';

import { CliError, type CliIo } from './io.ts';

export interface Connection {
  issuer: string;
  clientId: string;
  clientSecret: string;
}

export interface ConnectionOptions {
  issuer?: string;
  clientId?: string;
  profile?: string;
}

const profileSchema = z.strictObject({
  issuer: z.url({ protocol: /^https?$/ }).optional(),
  clientId: z.string().min(1).optional(),
  clientSecret: z.string().min(1).optional(),
  clientSecretFile: z.string().min(1).optional(),
});
const profilesFileSchema = z.strictObject({
  default: z.string().min(1).optional(),
  profiles: z.record(z.string(), profileSchema),
});

type Profile = z.output<typeof profileSchema>;

export function resolveConnection(options: ConnectionOptions, env: CliIo['env']): Connection {
  const profile = loadProfile(options.profile ?? env.GUESTPASS_PROFILE, env);
  const issuer = (options.issuer ?? env.GUESTPASS_ISSUER ?? profile?.issuer)?.replace(/\/+$/, '');
  const clientId = options.clientId ?? env.GUESTPASS_CLIENT_ID ?? profile?.clientId;
  const clientSecret = secretFrom(env) ?? (profile && profileSecret(profile));
  const missing = [
    ...(issuer ? [] : ['the issuer (--issuer or GUESTPASS_ISSUER)']),
    ...(clientId ? [] : ['the client id (--client-id or GUESTPASS_CLIENT_ID)']),
    ...(clientSecret ? [] : ['the client secret (GUESTPASS_CLIENT_SECRET or GUESTPASS_CLIENT_SECRET_FILE)']),
  ];
  if (missing.length > 0) throw new CliError(`cannot reach the management API without ${missing.join(', ')}; or name a profile (--profile, see docs/cli.md)`);
  return { issuer: issuer!, clientId: clientId!, clientSecret: clientSecret! };
}

function secretFrom(env: CliIo['env']): string | undefined {
  if (env.GUESTPASS_CLIENT_SECRET && env.GUESTPASS_CLIENT_SECRET_FILE) throw new CliError('GUESTPASS_CLIENT_SECRET and GUESTPASS_CLIENT_SECRET_FILE are both set; keep one');
  if (env.GUESTPASS_CLIENT_SECRET) return env.GUESTPASS_CLIENT_SECRET;
  if (env.GUESTPASS_CLIENT_SECRET_FILE) return readSecretFile(env.GUESTPASS_CLIENT_SECRET_FILE, 'GUESTPASS_CLIENT_SECRET_FILE');
  return undefined;
}

function profileSecret(profile: Profile): string | undefined {
  if (profile.clientSecret) return profile.clientSecret;
  if (profile.clientSecretFile) return readSecretFile(profile.clientSecretFile, 'the profile\'s clientSecretFile');
  return undefined;
}

function readSecretFile(path: string, what: string): string {
  try {
    return readFileSync(resolve(path), 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    throw new CliError(`${what}: cannot read ${resolve(path)} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

export function profilesPath(env: CliIo['env']): string {
  if (env.GUESTPASS_PROFILES) return resolve(env.GUESTPASS_PROFILES);
  return join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'guestpass', 'profiles.json');
}

/** The named profile, or the file's default; none when there is no file and none was named. */
function loadProfile(name: string | undefined, env: CliIo['env']): Profile | undefined {
  const path = profilesPath(env);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && name === undefined) return undefined;
    throw new CliError(`profile file ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let parsed: z.output<typeof profilesFileSchema>;
  try {
    parsed = profilesFileSchema.parse(JSON.parse(text));
  } catch (error) {
    const detail = error instanceof z.ZodError ? error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ') : 'not valid JSON';
    throw new CliError(`profile file ${path}: ${detail}`);
  }
  const chosen = name ?? parsed.default;
  if (chosen === undefined) return undefined;
  const profile = parsed.profiles[chosen];
  if (!profile) throw new CliError(`profile file ${path} has no profile "${chosen}" (it has ${Object.keys(parsed.profiles).map((key) => `"${key}"`).join(', ') || 'none'})`);
  if (profile.clientSecret) {
    const mode = statSync(path).mode & 0o777;
    if (mode & 0o077) throw new CliError(`profile file ${path} holds a client secret and others can read it (mode ${mode.toString(8)}); chmod 600 it`);
  }
  return profile;
}
