/**
 * HTTP mode: refuse a replayed request. Bolt verifies the signature and refuses timestamps
 * more than 5 minutes away, but a captured request replayed inside that window verifies
 * again. Every signature is single-use (Slack's own redeliveries are re-signed with a new
 * timestamp, so they pass; their event id is deduplicated later), remembered in the store
 * for as long as Bolt would accept it: 5 minutes either side of its timestamp.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HTTPReceiver } from '@slack/bolt';
import { logger } from '../../log.js';
import type { OnceGuard } from './slack-ports.js';

const log = logger('slack');

/** Longer than the ±5 minute window Bolt accepts a timestamp in. */
const SIGNATURE_TTL_MS = 11 * 60 * 1000;

export function guardReplays(receiver: HTTPReceiver, once: OnceGuard): void {
  const verifyAndDispatch = receiver.requestListener;
  receiver.requestListener = (req: IncomingMessage, res: ServerResponse) => {
    const signature = req.headers['x-slack-signature'];
    if (req.method !== 'POST' || typeof signature !== 'string') {
      verifyAndDispatch(req, res);
      return;
    }
    once
      .claim(`slack:signature:${signature}`, SIGNATURE_TTL_MS)
      .then((first) => {
        if (first) {
          verifyAndDispatch(req, res);
          return;
        }
        log.warn({ timestamp: req.headers['x-slack-request-timestamp'] }, 'refused a replayed Slack request (signature already used)');
        res.writeHead(401).end();
      })
      .catch((error: unknown) => {
        log.error({ err: error }, 'replay check failed; refusing the request');
        res.writeHead(503).end();
      });
  };
}
