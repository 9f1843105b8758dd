import { Client } from "pg";

/** How the drill logs in to one local PostgreSQL server (password auth on loopback). */
export interface PgLogin {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
}

/** Thrown when a session did not finish within its deadline (a frozen or unreachable server). */
export class SessionTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SessionTimeoutError";
  }
}

/**
 * Opens a connection bounded by `timeoutMs`. The connect timeout alone is not enough: a
 * server frozen with SIGSTOP still completes the TCP handshake (the kernel accepts into
 * the listen backlog), then never answers the startup packet.
 */
export async function connectBounded(login: PgLogin, timeoutMs: number): Promise<Client> {
  const client = new Client({
    ...login,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    application_name: "tapstack-drill",
  });
  // A server killed mid-session emits 'error' on an idle client; without a listener Node
  // would treat it as an unhandled error and crash the drill.
  client.on("error", () => undefined);
  try {
    await client.connect();
    return client;
  } catch (error) {
    destroyClient(client);
    throw error;
  }
}

/**
 * Closes a client without waiting for the server: `end()` sends Terminate and waits for
 * the socket to close, which never happens on a frozen server.
 */
export function destroyClient(client: Client): void {
  client.connection.stream.destroy();
}

/**
 * Runs `fn` on a fresh connection and closes it, the whole thing bounded by `timeoutMs`.
 * Rejects with `SessionTimeoutError` after the deadline, or with the server's error.
 */
export async function withSession<T>(
  login: PgLogin,
  timeoutMs: number,
  fn: (client: Client) => Promise<T>,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let client: Client | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new SessionTimeoutError(`${login.host}:${login.port} did not answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  const work = (async () => {
    client = await connectBounded(login, timeoutMs);
    return fn(client);
  })();
  // The losing promise of the race must not surface as an unhandled rejection later.
  work.catch(() => undefined);
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
    if (client) {
      destroyClient(client);
    } else {
      // Deadline hit while still connecting: close the connection if it completes later.
      const closeLate = () => {
        if (client) destroyClient(client);
      };
      work.then(closeLate, closeLate);
    }
  }
}
