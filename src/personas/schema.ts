/**
 * The persona file (`personas/<id>.yaml`): who the persona is, whose words are its voice,
 * where its material comes from, and how it is trained, scheduled and sampled.
 * Written by hand, so every field has a default where a sensible one exists.
 */
import cron from 'node-cron';
import { z } from 'zod';

export const PERSONA_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Whether `timeZone` is an IANA zone this runtime knows (what node-cron hands to Intl when it schedules). */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/**
 * Checked when the file is read, so a bad schedule is reported with its file before anything is
 * scheduled (node-cron's own validator: the expressions it accepts are the ones it runs).
 */
const scheduleSchema = z
  .object({
    cron: z
      .string()
      .optional()
      .superRefine((expression, context) => {
        if (expression === undefined) return;
        const result = cron.validateDetailed(expression);
        if (!result.valid)
          context.addIssue({
            code: 'custom',
            message: `"${expression}" is not a valid cron expression (${result.errors.map((e) => `${e.field}: ${e.message}`).join('; ')}); e.g. "0 3 * * *" is every day at 03:00`,
          });
      }),
    timezone: z
      .string()
      .default('UTC')
      .superRefine((zone, context) => {
        if (!isTimeZone(zone)) context.addIssue({ code: 'custom', message: `"${zone}" is not an IANA time zone (e.g. UTC, Europe/Paris, America/New_York)` });
      }),
    enabled: z.boolean().default(true),
  })
  .strict();

const trainingSchema = z
  .object({
    method: z.enum(['lora', 'full']).default('lora'),
    epochs: z.number().positive().default(2),
    max_steps: z.number().int().positive().optional(),
    learning_rate: z.number().positive().optional(),
    batch_size: z.number().int().positive().default(8),
    seq_len: z.number().int().min(16).default(256),
    optimizer: z.enum(['adamw', 'sgd']).default('adamw'),
    weight_decay: z.number().min(0).default(0.0),
    warmup_ratio: z.number().min(0).max(1).default(0.05),
    grad_clip: z.number().positive().default(1.0),
    grad_accumulation: z.number().int().positive().default(1),
    eval_every: z.number().int().positive().default(50),
    early_stopping_patience: z.number().int().min(0).default(3),
    seed: z.number().int().default(42),
    lora: z
      .object({
        r: z.number().int().positive().default(16),
        alpha: z.number().positive().default(32),
        dropout: z.number().min(0).max(1).default(0.0),
        target_modules: z.array(z.string()).default(['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj']),
      })
      .prefault({}),
    /** Scheduled runs are skipped unless at least this many approved samples are new. */
    min_new_samples: z.number().int().min(0).default(20),
    /** Promotion gate: required relative improvement of validation loss over the champion. */
    min_improvement: z.number().min(0).default(0.005),
    /** Promotion gate: fewer held-out tokens of the persona's words than this never promote automatically. */
    min_validation_tokens: z.number().int().min(0).default(2000),
  })
  .strict();

const samplingSchema = z
  .object({
    max_new_tokens: z.number().int().positive().default(120),
    // Defaults chosen by `npm run bench:decoding` (docs/benchmarks.md): min_p instead of
    // top-k/top-p, a repetition penalty over the last 64 tokens, and DRY, which stops loops
    // greedy decoding fell into.
    temperature: z.number().min(0).max(5).default(0.8),
    top_k: z.number().int().min(0).default(0),
    top_p: z.number().gt(0).max(1).default(1),
    min_p: z.number().min(0).max(1).default(0.05),
    repetition_penalty: z.number().positive().default(1.1),
    repetition_penalty_window: z.number().int().min(0).default(64),
    no_repeat_ngram_size: z.number().int().min(0).default(0),
    dry_multiplier: z.number().min(0).default(0.8),
    dry_base: z.number().min(1).default(1.75),
    dry_allowed_length: z.number().int().min(1).default(2),
    dry_range: z.number().int().min(1).default(512),
    bad_words: z.array(z.string()).default([]),
    stop: z.array(z.string()).default([]),
  })
  .strict();

export const personaSchema = z
  .object({
    id: z.string().regex(PERSONA_ID, 'lower-case letters, digits and dashes, starting with a letter or digit'),
    name: z.string().min(1),
    description: z.string().default(''),
    system_prompt: z.string().default(''),
    avatar_url: z.string().url().optional(),
    /** Image file beside the persona file (e.g. `ada.png`, written by `persona import card.png`). */
    avatar: z
      .string()
      .regex(/^[\w.-]+\.(png|jpe?g|webp|gif)$/i, 'an image file name in the personas folder, e.g. ada.png')
      .optional(),
    /** Shown when a conversation starts (studio, Discord): `greeting`, or one of the alternates (pickGreeting). */
    greeting: z.string().optional(),
    alternate_greetings: z.array(z.string()).default([]),
    /** Character card fields (Character Card V2/V3), kept so a card round-trips. */
    personality: z.string().default(''),
    scenario: z.string().default(''),
    post_history_instructions: z.string().default(''),
    /** Example dialogues in the card format (`<START>` blocks of `{{user}}:` / `{{char}}:` lines). */
    example_dialogues: z.string().default(''),
    tags: z.array(z.string()).default([]),
    creator: z.string().default(''),
    creator_notes: z.string().default(''),
    character_version: z.string().default(''),
    voices: z
      .object({
        names: z.array(z.string().min(1)).default([]),
        discord_ids: z.array(z.string().regex(/^\d+$/, 'a numeric Discord user id')).default([]),
        slack_ids: z.array(z.string().regex(/^[UW][A-Z0-9]+$/, 'a Slack user id like U012ABCDEF')).default([]),
      })
      .strict()
      .prefault({}),
    /** Glob patterns (relative to the project root) of transcripts that are this persona's own words. */
    sources: z.array(z.string()).default([]),
    /** Model folder to fine-tune from; default is the bundled base model. */
    base: z.string().optional(),
    training: trainingSchema.prefault({}),
    schedule: scheduleSchema.prefault({}),
    sampling: samplingSchema.prefault({}),
    channels: z
      .object({
        discord: z.array(z.string().regex(/^\d+$/, 'a numeric Discord channel id')).default([]),
        slack: z.array(z.string()).default([]),
      })
      .strict()
      .prefault({}),
    /** Dataset building: context turns kept before a reply, merge gap and silence gap (seconds). */
    dataset: z
      .object({
        context_turns: z.number().int().min(0).default(6),
        merge_gap_seconds: z.number().min(0).default(120),
        silence_gap_seconds: z.number().min(0).default(3600),
        min_chars: z.number().int().min(0).default(2),
        max_chars: z.number().int().positive().default(4000),
        block_list: z.array(z.string()).default([]),
        validation_fraction: z.number().min(0).max(0.5).default(0.1),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type Persona = z.infer<typeof personaSchema>;
export type PersonaInput = z.input<typeof personaSchema>;
