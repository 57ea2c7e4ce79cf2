/**
 * `persona models list|promote|rollback|remove` (the registry), `persona jobs` (training
 * history) and `persona eval` (validation loss, style metrics, or the perplexity of any file).
 */
import type { Command } from 'commander';
import { openCore, type Core } from '../../app/core.js';
import { describeLoss, fileSamples, heldOutSamples } from '../../evaluation/held-out.js';
import { evaluateLoss } from '../../evaluation/loss.js';
import { evaluateStyle } from '../../evaluation/sample-replies.js';
import { STYLE_BETTER } from '../../evaluation/style.js';
import { resolveModelChoice } from '../../inference/model-location.js';
import { loadPersona } from '../../personas/load.js';
import { jobHistory } from '../../scheduler/history.js';
import { action, cliConfig } from '../command-context.js';
import { registerJobsCancel } from './jobs-cancel.js';
import { systemPromptOf } from '../../personas/greeting.js';

async function withCore(run: (core: Core) => Promise<void>): Promise<void> {
  const core = await openCore(cliConfig());
  try {
    await run(core);
  } finally {
    await core.close();
  }
}

const print = (json: boolean | undefined, value: unknown, text: () => string) => console.log(json ? JSON.stringify(value, null, 2) : text());

export function registerModelCommands(program: Command): void {
  const models = program.command('models').description('model versions of a persona: list, promote, roll back, remove');

  models
    .command('list')
    .argument('<persona>', 'persona id')
    .option('--json', 'print JSON')
    .description('list versions with their status and metrics (champion marked *)')
    .action(
      action((id: string, options: { json?: boolean }) =>
        withCore(async ({ registry }) => {
          const persona = loadPersona(cliConfig().PERSONAS_DIR, id);
          const versions = await registry.list(persona.id);
          print(options.json, versions, () =>
            versions.length === 0
              ? `${persona.id} has no trained versions yet; it answers with its base model.`
              : versions
                  .map((v) => {
                    const loss = v.metrics.validation_loss_after;
                    return `${v.status === 'champion' ? '*' : ' '} ${v.version.padEnd(20)} ${v.status.padEnd(9)} ${v.method.padEnd(4)} ${loss === undefined ? '' : `val loss ${loss.toFixed(4)}`}  ${v.note ?? ''}`;
                  })
                  .join('\n'),
          );
        }),
      ),
    );

  models
    .command('promote')
    .argument('<persona>', 'persona id')
    .argument('<version>', 'version to make champion')
    .description('make a version the champion (after checking that it loads)')
    .action(
      action((id: string, version: string) =>
        withCore(async ({ registry }) => {
          const persona = loadPersona(cliConfig().PERSONAS_DIR, id);
          await registry.promote(persona.id, version, 'promoted by hand');
          console.log(`${version} is now the champion of ${persona.id}.`);
        }),
      ),
    );

  models
    .command('rollback')
    .argument('<persona>', 'persona id')
    .description('go back to the previous champion (or the base model)')
    .action(
      action((id: string) =>
        withCore(async ({ registry }) => {
          const persona = loadPersona(cliConfig().PERSONAS_DIR, id);
          const record = await registry.rollback(persona.id);
          console.log(record ? `${persona.id} is back on ${record.version}.` : `${persona.id} is back on its base model.`);
        }),
      ),
    );

  models
    .command('remove')
    .argument('<persona>', 'persona id')
    .argument('<version>', 'version to delete')
    .description('delete a version that is not the champion')
    .action(
      action((id: string, version: string) =>
        withCore(async ({ registry }) => {
          const persona = loadPersona(cliConfig().PERSONAS_DIR, id);
          await registry.remove(persona.id, version);
          console.log(`Removed ${persona.id} ${version}.`);
        }),
      ),
    );

  const jobs = program
    .command('jobs')
    .argument('<persona>', 'persona id')
    .option('--limit <n>', 'how many', Number, 10)
    .option('--json', 'print JSON')
    .description('training job history, newest first')
    .action(
      action((id: string, options: { limit: number; json?: boolean }) =>
        withCore(async ({ store }) => {
          const persona = loadPersona(cliConfig().PERSONAS_DIR, id);
          const jobs = await jobHistory(store).list(persona.id, options.limit);
          print(options.json, jobs, () =>
            jobs.length === 0
              ? `no training jobs for ${persona.id} yet`
              : jobs.map((j) => `${j.startedAt}  ${j.status.padEnd(11)} ${j.reason.padEnd(8)} ${j.version ?? ''}  ${j.message ?? ''}`).join('\n'),
          );
        }),
      ),
    );
  registerJobsCancel(jobs);

  program
    .command('eval')
    .argument('<persona>', 'persona id')
    .option('--model <version>', 'version to evaluate, or "base" (default: the champion)')
    .option('--data <file>', 'evaluate the perplexity of this text or chat file instead of the validation split')
    .option('--style', 'also sample replies and compute style metrics (slower)')
    .option('--json', 'print JSON')
    .description('validation loss and perplexity of a model on the persona (or on any file with --data)')
    .action(
      action((id: string, options: { model?: string; data?: string; style?: boolean; json?: boolean }) =>
        withCore(async (core) => {
          const config = cliConfig();
          const persona = loadPersona(config.PERSONAS_DIR, id);
          const champion = await core.registry.champion(persona.id);
          const choice = options.model
            ? resolveModelChoice(config, persona, options.model)
            : champion
              ? { version: champion.version, dir: champion.dir }
              : resolveModelChoice(config, persona, 'base');
          const samples = options.data ? await fileSamples(persona, options.data, config.root) : await heldOutSamples(core.store, persona);
          const loss = await evaluateLoss({
            modelDir: choice.dir,
            samples,
            systemPrompt: systemPromptOf(persona),
            personaName: persona.name,
            seqLen: persona.training.seq_len,
          });
          const style = options.style ? await evaluateStyle(core.engine, persona, samples, { model: choice.version }) : undefined;
          const { windows: _windows, ...scores } = loss;
          const report = {
            persona: persona.id,
            model: choice.version,
            data: options.data ?? 'validation split',
            ...scores,
            scored: "the persona's words",
            style,
          };
          print(options.json, report, () =>
            [
              `${persona.id} @ ${choice.version} on ${report.data}: ${describeLoss(loss)}`,
              ...(style
                ? Object.entries(style).map(
                    ([k, v]) => `  ${k}: ${Number(v).toFixed(3)}${k in STYLE_BETTER ? ` (${STYLE_BETTER[k as keyof typeof STYLE_BETTER]} is better)` : ''}`,
                  )
                : []),
            ].join('\n'),
          );
        }),
      ),
    );
}
