/**
 * Server-side records behind sealed cookie handles: browser sessions and pending
 * authorization requests. One small interface, several implementations (memory,
 * SQLite, and a memory LRU in front of a persistent store), as oauth2-proxy does.
 */
export interface SessionStore {
  /** The record, or undefined when missing or expired. */
  get<T = unknown>(id: string): Promise<T | undefined>;
  /** Creates or replaces a record that disappears at `expiresAt` (epoch seconds). */
  set(id: string, record: unknown, expiresAt: number, subject?: string): Promise<void>;
  /** Reads and deletes a record in one step, so it can be used once only. */
  take<T = unknown>(id: string): Promise<T | undefined>;
  delete(id: string): Promise<void>;
  /** Deletes every record of a subject (deactivation, back-channel logout); returns how many. */
  deleteBySubject(subject: string): Promise<number>;
  close?(): Promise<void>;
}
