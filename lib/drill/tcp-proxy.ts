/**
 * A small TCP proxy on loopback that stands for the network path between the health
 * monitor and the primary. The drill's `partition` scenario cuts it: the monitor loses its
 * path to the primary while clients, which connect directly, keep writing.
 */
import * as net from "node:net";

/**
 * How a cut behaves:
 * - `drop`: packets vanish, as in a real network partition or a security group that lost
 *   its rule. Open connections stall, new connections are accepted but never answered, so
 *   clients see a timeout. (The proxy completes the TCP handshake, a real black hole would
 *   not; both end in the client's timeout.)
 * - `reset`: the path answers with RST (a firewall that rejects): open connections are
 *   reset and new ones are reset at once, so clients see the connection fail fast.
 */
export type CutMode = "drop" | "reset";

/** Where the proxy listens and what it forwards to. */
export interface TcpProxyOptions {
  readonly targetHost: string;
  readonly targetPort: number;
  /** Defaults to 127.0.0.1: the drill never listens beyond loopback. */
  readonly listenHost?: string;
  /** 0 (the default) picks a free port. */
  readonly listenPort?: number;
}

interface Pair {
  readonly client: net.Socket;
  upstream?: net.Socket;
}

/** A forwarding TCP proxy that can be cut and restored. Create it with {@link TcpProxy.start}. */
export class TcpProxy {
  private readonly pairs = new Set<Pair>();
  private cutMode: CutMode | null = null;

  private constructor(
    private readonly server: net.Server,
    /** Host the proxy listens on. */
    readonly host: string,
    /** Port the proxy listens on. */
    readonly port: number,
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {
    server.on("connection", (client) => this.accept(client));
  }

  /** Starts listening; resolves once the port is bound. */
  static async start(options: TcpProxyOptions): Promise<TcpProxy> {
    const server = net.createServer({ pauseOnConnect: true });
    const listenHost = options.listenHost ?? "127.0.0.1";
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.listenPort ?? 0, listenHost, () => {
        server.off("error", reject);
        resolve();
      });
    });
    // The listener alone must not keep the process alive (e.g. a test runner waiting for open
    // handles); open connections still do, and `close()` is how a proxy is meant to end.
    server.unref();
    const address = server.address() as net.AddressInfo;
    return new TcpProxy(server, listenHost, address.port, options.targetHost, options.targetPort);
  }

  /** True while the path is cut. */
  get isCut(): boolean {
    return this.cutMode !== null;
  }

  /** Client connections currently held open by the proxy (forwarded or stalled). */
  get connectionCount(): number {
    return this.pairs.size;
  }

  /** Cuts the path (see {@link CutMode}). Cutting an already cut path changes its mode. */
  cut(mode: CutMode = "drop"): void {
    this.cutMode = mode;
    for (const pair of [...this.pairs]) {
      if (mode === "reset") {
        this.closePair(pair, true);
      } else {
        // Stop moving bytes both ways; the sockets stay open, as they would across a
        // partition, until someone gives up on them.
        pair.client.pause();
        pair.upstream?.pause();
      }
    }
  }

  /**
   * Restores the path. Connections that were stalled by a `drop` cut are closed rather than
   * resumed: their client has given up on them by now, and a resumed half-conversation
   * would only confuse it. New connections are forwarded again.
   */
  restore(): void {
    this.cutMode = null;
    for (const pair of [...this.pairs]) this.closePair(pair, false);
  }

  /** Stops listening and closes every connection. */
  async close(): Promise<void> {
    for (const open of [...this.pairs]) this.closePair(open, true);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private closePair(pair: Pair, reset: boolean): void {
    this.pairs.delete(pair);
    if (reset) {
      pair.client.resetAndDestroy();
      pair.upstream?.resetAndDestroy();
    } else {
      pair.client.destroy();
      pair.upstream?.destroy();
    }
  }

  private accept(client: net.Socket): void {
    const pair: Pair = { client };
    client.on("error", () => this.closePair(pair, false));
    client.on("close", () => this.closePair(pair, false));
    if (this.cutMode === "reset") {
      client.resetAndDestroy();
      return;
    }
    this.pairs.add(pair);
    if (this.cutMode === "drop") return; // held, paused, never answered
    const upstream = net.connect({ host: this.targetHost, port: this.targetPort });
    pair.upstream = upstream;
    upstream.on("error", () => this.closePair(pair, false));
    upstream.on("close", () => this.closePair(pair, false));
    upstream.once("connect", () => {
      if (this.cutMode !== null) return;
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
  }
}
