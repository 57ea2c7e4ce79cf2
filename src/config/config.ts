/**
 * The one typed configuration, read once at start-up from `.env`, the environment and CLI
 * flags (in increasing priority). No other module reads process.env: they receive a Config.
 * Every variable is documented in .env.example.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { z } from 'zod';
import { PersonaError } from '../errors.js';

const csv = z
  .string()
  .optional()
  .transform((value) =>
    value
      ? value
          .split(',')
          .map((part) => part.trim())
          .filter(Boolean)
      : [],
  );

const port = z.coerce.number().int().min(0).max(65535);

/** huggingface_hub's reading of boolean variables such as HF_HUB_OFFLINE. */
const hfFlag = z
  .string()
  .optional()
  .transform((value) => ['1', 'on', 'yes', 'true'].includes((value ?? '').trim().toLowerCase()));

export const configSchema = z.object({
  DATA_DIR: z.string().default('data'),
  PERSONAS_DIR: z.string().default('personas'),
  TRANSCRIPTS_DIR: z.string().default('transcripts'),
  BASE_MODEL_DIR: z.string().default('models/base'),
  STORE_URL: z.string().optional(),
  /** Allow creating a new, empty store at a STORE_URL this installation has not used (see src/store/identity.ts). */
  STORE_CREATE: hfFlag,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('warn'),
  ORT_THREADS: z.coerce.number().int().min(0).default(0),
  TRAINING_CONCURRENCY: z.coerce.number().int().min(1).default(1),
  /** A training run checkpoints every N steps (0: never by steps) and every S seconds, and when stopped. */
  TRAINING_CHECKPOINT_STEPS: z.coerce.number().int().min(0).default(50),
  TRAINING_CHECKPOINT_SECONDS: z.coerce.number().int().min(1).default(300),
  MODEL_CACHE_MB: z.coerce.number().int().min(16).default(2048),
  GENERATION_MAX_WAIT_MS: z.coerce.number().int().min(0).default(30000),
  GENERATION_MAX_QUEUE: z.coerce.number().int().min(0).default(16),
  DISCORD_TOKEN: z.string().optional(),
  DISCORD_API_URL: z.string().url().optional(),
  DISCORD_ALLOWED_GUILDS: csv,
  DISCORD_ALLOWED_CHANNELS: csv,
  DISCORD_ADMIN_ROLE: z.string().optional(),
  DISCORD_EDIT_INTERVAL_MS: z.coerce.number().int().min(0).default(1000),
  SLACK_BOT_TOKEN: z.string().optional(),
  SLACK_APP_TOKEN: z.string().optional(),
  SLACK_SIGNING_SECRET: z.string().optional(),
  SLACK_API_URL: z.string().url().optional(),
  SLACK_PORT: port.default(3001),
  SLACK_REVIEW_CHANNEL: z.string().optional(),
  SLACK_CURATORS: csv,
  STUDIO_PORT: port.default(3000),
  STUDIO_HOST: z.string().default('127.0.0.1'),
  STUDIO_TOKEN: z.string().optional(),
  HEALTH_PORT: port.optional(),
  PERSONA_ROLES: csv,
  ORT_EXECUTION_PROVIDERS: csv,
  DISCORD_SHARDS: z
    .union([z.literal('auto'), z.coerce.number().int().min(1)])
    .optional()
    .describe('run Discord through discord.js sharding: "auto" (Discord recommends the count) or a number of shards'),
  TRAINING_JOB_LOCK_MS: z.coerce.number().int().min(1000).default(120000),
  /** Generator workers (PERSONA_ROLES=generator): how long a lost worker holds a reply, and replies per worker at once. */
  GENERATION_JOB_LOCK_MS: z.coerce.number().int().min(500).default(15000),
  GENERATION_WORKER_CONCURRENCY: z.coerce.number().int().min(1).default(4),
  HF_HOME: z.string().default(join(homedir(), '.cache', 'huggingface')),
  HF_TOKEN: z.string().regex(/^hf_/, 'a Hugging Face access token starts with "hf_"').optional(),
  HF_ENDPOINT: z.string().url().default('https://huggingface.co'),
  HF_HUB_OFFLINE: hfFlag,
});

type RawConfig = z.infer<typeof configSchema>;

export interface Config extends RawConfig {
  /** Absolute directory that all relative paths above are resolved against. */
  root: string;
  /** STORE_URL with the default filled in: an embedded SQLite file under DATA_DIR. */
  storeUrl: string;
  /** How stores are opened: the registry of known stores (DATA_DIR/stores.json) and STORE_CREATE. */
  storeOptions: { registry: string; create: boolean };
}

export interface LoadConfigOptions {
  /** Directory holding `.env` and that relative paths resolve against (default: cwd). */
  root?: string;
  env?: Record<string, string | undefined>;
  /** Highest priority, e.g. CLI flags. */
  overrides?: Partial<Record<keyof RawConfig, string>>;
}

export function loadConfig(options: LoadConfigOptions = {}): Config {
  const root = resolve(options.root ?? process.cwd());
  const envFile = resolve(root, '.env');
  const fromFile = existsSync(envFile) ? parseDotenv(readFileSync(envFile)) : {};
  const merged = { ...fromFile, ...pickKnown(options.env ?? process.env), ...options.overrides };
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.join('.');
    throw new PersonaError('config_invalid', `Configuration variable ${field} is invalid: ${issue.message} (from ${envFile} or the environment).`, {
      field,
    });
  }
  const raw = parsed.data;
  const at = (path: string) => resolve(root, path);
  return {
    ...raw,
    root,
    DATA_DIR: at(raw.DATA_DIR),
    PERSONAS_DIR: at(raw.PERSONAS_DIR),
    TRANSCRIPTS_DIR: at(raw.TRANSCRIPTS_DIR),
    BASE_MODEL_DIR: at(raw.BASE_MODEL_DIR),
    HF_HOME: at(raw.HF_HOME.replace(/^~(?=$|\/)/, homedir())),
    HF_ENDPOINT: raw.HF_ENDPOINT.replace(/\/+$/, ''),
    storeUrl: raw.STORE_URL ?? `sqlite://${at(raw.DATA_DIR)}/persona.sqlite`,
    storeOptions: { registry: join(at(raw.DATA_DIR), 'stores.json'), create: raw.STORE_CREATE },
  };
}

/**
 * The configuration as environment variables, for a child process that must run with exactly
 * this configuration (a Discord shard): paths absolute, the store URL explicit.
 */
export function configToEnv(config: Config): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of Object.keys(configSchema.shape) as (keyof RawConfig)[]) {
    const value = config[key];
    if (value === undefined) continue;
    env[key] = Array.isArray(value) ? value.join(',') : typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
  }
  env.STORE_URL = config.storeUrl;
  return env;
}

function pickKnown(env: Record<string, string | undefined>): Record<string, string> {
  const known = Object.keys(configSchema.shape);
  return Object.fromEntries(Object.entries(env).filter(([key, value]) => known.includes(key) && value !== undefined && value !== '')) as Record<string, string>;
}
