/**
 * The message machinery shared by every host↔webview protocol, used the same way on both ends: a map from
 * message `type` to a typed handler, and one {@link MessageHandler} that checks what arrives, pairs replies
 * with the requests they answer, and dispatches the rest. A message that expects an answer carries a
 * `requestId`, and its answer repeats it as `inReplyTo` (as hexeditor's `sendRequest` does), so two quick
 * requests can never swap answers.
 */
import { type Checked, type FieldGuards, type Guard, isIndex, isString } from './guards';

export interface Message {
  type: string;
}

export type MessageHandlers<M extends Message> = {
  [K in M['type']]?: (msg: Extract<M, { type: K }>) => void;
};

/** Calls the handler for `msg.type`; false when there is none. */
export function dispatch<M extends Message>(handlers: MessageHandlers<M>, msg: M): boolean {
  const h = (handlers as Record<string, ((m: M) => void) | undefined>)[msg.type];
  if (!h) return false;
  h(msg);
  return true;
}

/** Fields of a message that expects an answer; the sender picks the id. */
export interface RequestFields {
  requestId: number;
}

/** Fields of an answer: the id of the request it answers. */
export interface ReplyFields {
  inReplyTo: number;
}

/** The answer to any request that could not be carried out; the request's promise rejects with `message`. */
export interface RequestFailedMessage extends ReplyFields {
  type: 'requestFailed';
  message: string;
}

/** Guards for the shared fields, for the protocols' checkers. */
export const isRequestId: Guard<number> = isIndex;
export const requestFailedShape: FieldGuards<Omit<RequestFailedMessage, 'type'>> = { inReplyTo: isIndex, message: isString };

/**
 * For each request type a side sends, the type of the message that answers it. Declared once per protocol as
 * a constant, which gives both the compile-time reply type and the run-time check of a reply's type.
 */
export type ReplyTable<Out extends Message, In extends Message> = { readonly [K in Out['type']]?: In['type'] };

/** The request message of type `K`, without the id {@link MessageHandler.request} assigns. */
export type RequestBody<Out extends Message, K extends Out['type']> = Omit<Extract<Out, { type: K }>, 'requestId'>;

type ReplyOf<In extends Message, T, K> = K extends keyof T ? Extract<In, { type: T[K] }> : never;

const DEFAULT_TIMEOUT_MS = 60_000;

interface Pending {
  expect: string;
  resolve: (m: Message) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

export interface MessageHandlerOptions<Out extends Message, In extends Message, T extends ReplyTable<Out, In>> {
  post: (m: Out) => void;
  handlers: MessageHandlers<In>;
  /** Checks each incoming message; the host checks every field, a page trusts its host's shapes. */
  check: (raw: unknown) => Checked<In>;
  /** Requests this side sends and the reply type of each. */
  replies: T;
  /** A request unanswered after this long rejects (a page that was closed or reloaded never answers); 60 s by default. */
  timeoutMs?: number;
  /** Called with messages that fail the check, replies to no pending request, and handlers that throw. */
  onProblem?: (problem: string) => void;
}

/** One end of a protocol: sends `Out`, receives `In`. */
export class MessageHandler<Out extends Message, In extends Message, T extends ReplyTable<Out, In> = ReplyTable<Out, In>> {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly o: MessageHandlerOptions<Out, In, T>) {}

  send(msg: Out): void {
    this.o.post(msg);
  }

  /** Sends a request and resolves with the message that answers it (by id), or rejects on failure or timeout. */
  request<K extends keyof T & Out['type']>(body: RequestBody<Out, K>): Promise<ReplyOf<In, T, K>> {
    const requestId = this.nextId++;
    const type = (body as unknown as Message).type as K;
    const expect = this.o.replies[type] as string;
    const timeoutMs = this.o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    return new Promise<ReplyOf<In, T, K>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(new Error(`no answer to '${type}' within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(requestId, { expect, resolve: resolve as (m: Message) => void, reject, timer });
      try {
        this.o.post({ ...body, requestId } as unknown as Out);
      } catch (err) {
        this.settle(requestId, () => reject(err instanceof Error ? err : new Error(String(err))));
      }
    });
  }

  /** Handles one raw incoming message: checks it, settles the request it answers, or dispatches it. */
  receive(raw: unknown): void {
    const checked = this.o.check(raw);
    if (!checked.ok) {
      this.problem(`refused a message (${checked.error}): ${preview(raw)}`);
      return;
    }
    const msg = checked.message;
    const inReplyTo = (msg as Partial<ReplyFields>).inReplyTo;
    if (typeof inReplyTo === 'number') {
      this.reply(inReplyTo, msg);
      return;
    }
    try {
      dispatch(this.o.handlers, msg);
    } catch (err) {
      this.problem(`handling '${msg.type}' failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  }

  /** Rejects every pending request (the page was reloaded or closed, so no answer will come). */
  cancelPending(reason: string): void {
    for (const id of [...this.pending.keys()]) this.settle(id, (p) => p.reject(new Error(reason)));
  }

  /** How many requests await an answer (for tests). */
  get pendingCount(): number {
    return this.pending.size;
  }

  dispose(): void {
    this.cancelPending('the page was closed');
  }

  private reply(id: number, msg: In): void {
    const p = this.pending.get(id);
    if (!p) {
      this.problem(`'${msg.type}' answers request ${id}, which is not pending (it timed out or was cancelled)`);
      return;
    }
    if (msg.type === 'requestFailed') this.settle(id, () => p.reject(new Error((msg as unknown as RequestFailedMessage).message)));
    else if (msg.type !== p.expect) this.settle(id, () => p.reject(new Error(`request ${id} was answered with '${msg.type}', not '${p.expect}'`)));
    else this.settle(id, () => p.resolve(msg));
  }

  private settle(id: number, how: (p: Pending) => void): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    how(p);
  }

  private problem(text: string): void {
    this.o.onProblem?.(text);
  }
}

/** Accepts any object with a string `type`: how a page takes its host's messages, which it trusts. */
export function trustedMessage<M extends Message>(raw: unknown): Checked<M> {
  return typeof raw === 'object' && raw !== null && typeof (raw as Partial<Message>).type === 'string'
    ? { ok: true, message: raw as M }
    : { ok: false, error: 'not a message' };
}

function preview(raw: unknown): string {
  try {
    return (JSON.stringify(raw) ?? String(raw)).slice(0, 200);
  } catch {
    return String(raw).slice(0, 200);
  }
}
