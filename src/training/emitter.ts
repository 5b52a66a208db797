/** A minimal event emitter with the shape of VS Code's `Event<T>`, for the pure training modules. */

/** The shape of VS Code's `Event<T>`, without depending on it. */
export type Event<T> = (listener: (e: T) => void) => { dispose(): void };

export class Emitter<T> {
  private listeners: ((e: T) => void)[] = [];
  readonly event: Event<T> = (listener) => {
    this.listeners.push(listener);
    return { dispose: () => void (this.listeners = this.listeners.filter((l) => l !== listener)) };
  };
  /** Calls every listener; one that throws is logged and does not stop the others. */
  fire(e: T): void {
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch (err) {
        console.error('training listener failed:', err);
      }
    }
  }
}
