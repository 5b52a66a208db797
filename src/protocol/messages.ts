/**
 * The message-handling shape shared by every host↔webview protocol: a map from message `type` to a typed
 * handler, used the same way on both ends.
 */
export type MessageHandlers<M extends { type: string }> = {
  [K in M['type']]?: (msg: Extract<M, { type: K }>) => void;
};

/** Calls the handler for `msg.type`; false when there is none. */
export function dispatch<M extends { type: string }>(handlers: MessageHandlers<M>, msg: M): boolean {
  const h = (handlers as Record<string, ((m: M) => void) | undefined>)[msg.type];
  if (!h) return false;
  h(msg);
  return true;
}
