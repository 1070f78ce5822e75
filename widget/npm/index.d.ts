/** Configuration of the Chimp Assist widget (same names as the script tag's `ChimpAssistConfig`). */
export interface ChimpAssistConfig {
  /** Base URL of your Chimp Assist server, e.g. `https://chat.example.com`. Required. */
  backendEndpoint: string;
  /** Queue for new conversations and callbacks (default: the server's `default` queue). */
  queueId?: string;
  /** Title in the chat header. */
  title?: string;
  /** Panel size in pixels (desktop; full-screen on narrow phones). */
  width?: number;
  height?: number;
  /** Header and bubble background; any CSS colour. */
  backgroundColor?: string;
  /** Header and bubble text; any CSS colour. */
  color?: string;
  position?: "bottom-right" | "bottom-left";
  /** Bubble label. */
  defaultText?: string;
  /** Header subtitle while chatting. */
  activeText?: string;
  /** Header subtitle before a chat starts. */
  previewText?: string;
  /** Logo URL shown in the header. */
  logo?: string;
  expandAnimationMs?: number;
  /** Load and connect on idle instead of on first open. */
  autoConnect?: boolean;
  /** Id of the element the widget creates; it must not already exist. Default `chimpassist`. */
  containerEl?: string;
  /** Forced locale; default: the browser's language. */
  locale?: "en" | "pt-BR";
  showPoweredBy?: boolean;
  /** A short sound when a reply arrives while the chat is closed or the tab hidden. */
  sound?: boolean;
  /** Ask name/e-mail/problem before a chat (fields already known from `userData` are skipped). */
  preChat?: boolean;
  preChatFields?: Array<"name" | "email" | "problem">;
  /** The seed's grouped forms are accepted too. */
  chatWidget?: { width?: number; height?: number; backgroundColor?: string; color?: string };
  header?: { defaultText?: string; activeText?: string; previewText?: string; logo?: string };
}

/** The visitor as your site knows them (`localStorage.userData` has the same shape). */
export interface ChimpAssistUser {
  id?: string;
  name?: string;
  avatarURL?: string;
  email?: string;
  /** Hex HMAC-SHA256 of `id` with the server's IDENTITY_SECRET (proves the identity). */
  hash?: string;
  /** Or an HS256 JWT with `sub` = id and `exp`, signed with the same secret. */
  token?: string;
}

export type ChimpAssistEvent =
  | "ready"
  | "loaded"
  | "opened"
  | "closed"
  | "message"
  | "conversation-started"
  | "conversation-ended"
  /** The unread count changed (the badge's number; 0 once read). */
  | "unread";

/**
 * What your site knows about the visitor, shown to attendants: at most 50 names of 1–40
 * letters, digits or `_` (a letter first); text (one line, ≤ 255 characters), numbers or
 * booleans. `null` removes an attribute.
 */
export type ChimpAssistAttributes = Record<string, string | number | boolean | null>;

export interface ChimpAssistHandle {
  open(): void;
  close(): void;
  toggle(): void;
  /** Chat as this user from now on (a different id starts a separate history). */
  setUser(user: ChimpAssistUser): void;
  /** Back to an anonymous guest; forgets the stored token. */
  resetUser(): void;
  /** Adds or changes attributes (the others keep their value); sent when the chat is loaded. */
  setAttributes(attributes: ChimpAssistAttributes): void;
  /**
   * Opens the chat and sends `text` as the visitor: into the open conversation, or one it
   * starts (without the pre-chat form). Kept until the server acknowledges it.
   */
  sendMessage(text: string): void;
  on(event: ChimpAssistEvent, listener: (detail: unknown) => void): ChimpAssistHandle;
}

export function mount(config: ChimpAssistConfig): ChimpAssistHandle;
