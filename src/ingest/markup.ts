/**
 * Platform markup in chat text: Discord and Slack mention ids (`<@123>`, `<@!123>`, `<#123>`,
 * `<@&123>`, `<@U123|name>`, `<#C123|name>`, `<!here>`…), custom emoji, timestamps, slash
 * commands and Slack links (`<https://x|label>`), plus the HTML entities Slack escapes.
 * Mentions become the display name when known (`@Ada`, `#general`) or a placeholder.
 */
import { bump, type Counts } from './redact.js';

export interface NameMaps {
  /** User id → display name. */
  users: Record<string, string>;
  /** Channel or role id → name. */
  channels: Record<string, string>;
}

const MARKUP = /<(@&|@!?|#|!|\/|a?:|t:)([^<>\s|]*)(?:\|([^<>]*))?>|<((?:https?|mailto):[^<>|\s]+)(?:\|([^<>]*))?>/g;
const ENTITY = /&(amp|lt|gt|quot|#39|nbsp);/g;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", nbsp: ' ' };

function specialMention(id: string, label: string | undefined): string {
  if (label) return label.startsWith('@') ? label : `@${label}`;
  const name = id.split('^')[0];
  return name === 'here' || name === 'channel' || name === 'everyone' ? `@${name}` : '[mention]';
}

/** Replaces platform markup; `counts.mention` counts user, channel and role mentions. */
export function replaceMarkup(text: string, names: NameMaps, counts: Counts | undefined): { text: string; counts: Counts | undefined } {
  let c = counts;
  let out = text;
  if (out.includes('<')) {
    out = out.replace(MARKUP, (whole, kind?: string, id?: string, label?: string, url?: string, urlLabel?: string) => {
      if (url !== undefined) return urlLabel || url;
      switch (kind) {
        case '@':
        case '@!': {
          c = bump(c, 'mention');
          const name = names.users[id!] ?? label;
          return name ? `@${name}` : '[user]';
        }
        case '@&': {
          c = bump(c, 'mention');
          const name = names.channels[id!] ?? label;
          return name ? `@${name}` : '[role]';
        }
        case '#': {
          c = bump(c, 'mention');
          const name = names.channels[id!] ?? label;
          return name ? `#${name}` : '[channel]';
        }
        case '!':
          c = bump(c, 'mention');
          return specialMention(id!, label);
        case '/':
          return `/${id!.split(':')[0]}`;
        case ':':
        case 'a:':
          return `:${id!.split(':')[0]}:`;
        case 't:':
          return '[time]';
        default:
          return whole;
      }
    });
  }
  if (out.includes('&')) out = out.replace(ENTITY, (_, name: string) => ENTITIES[name]);
  return { text: out, counts: c };
}
