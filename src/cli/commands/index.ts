/**
 * The command groups of `guestpass`, in the order `--help` lists them. A group is one file
 * here exporting `register…(program, io)`; adding one is that file and its line below.
 */
import type { Command } from 'commander';

import type { CliIo } from '../io.ts';
import { registerAudit } from './audit.ts';
import { registerClients } from './clients.ts';
import { registerConfig } from './config.ts';
import { registerKeys } from './keys.ts';
import { registerLinks } from './links.ts';
import { registerReport } from './report.ts';
import { registerServe } from './serve.ts';
import { registerSettings } from './settings.ts';
import { registerUsers } from './users.ts';

export const commandGroups: readonly ((program: Command, io: CliIo) => void)[] = [
  registerServe,
  registerConfig,
  registerKeys,
  registerLinks,
  registerUsers,
  registerAudit,
  registerReport,
  registerSettings,
  registerClients,
];
