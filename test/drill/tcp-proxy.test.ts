import { spawnSync } from "node:child_process";
import * as net from "node:net";
import * as path from "node:path";
import { TcpProxy } from "../../lib/drill/tcp-proxy";

/** An upstream that echoes every byte back. */
let echo: net.Server;
let echoPort: number;
let proxy: TcpProxy;

beforeEach(async () => {
  echo = net.createServer((socket) => {
    // The proxy resets upstream connections on purpose; the echo side just lets them go.
    socket.on("error", () => undefined);
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve));
  echoPort = (echo.address() as net.AddressInfo).port;
  proxy = await TcpProxy.start({ targetHost: "127.0.0.1", targetPort: echoPort });
});

afterEach(async () => {
  await proxy.close();
  await new Promise((resolve) => echo.close(resolve));
});

interface Conn {
  readonly socket: net.Socket;
  /** Everything received so far. */
  received(): string;
  /** Resolves with the error code or "closed" when the socket ends. */
  readonly ended: Promise<string>;
}

async function connect(): Promise<Conn> {
  const socket = net.connect({ host: "127.0.0.1", port: proxy.port });
  let data = "";
  socket.on("data", (chunk) => (data += chunk.toString()));
  const ended = new Promise<string>((resolve) => {
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    socket.once("close", () => resolve("closed"));
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  return { socket, received: () => data, ended };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`never saw ${what}`);
}

/** Gives the event loop a moment to deliver anything in flight (for "nothing arrives" checks). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 200));

describe("TcpProxy", () => {
  it("listens on loopback and forwards both ways", async () => {
    expect(proxy.host).toBe("127.0.0.1");
    const conn = await connect();
    conn.socket.write("ping");
    await until(() => conn.received() === "ping", "the echo");
    expect(proxy.connectionCount).toBe(1);
    conn.socket.destroy();
  });

  it("drop: open connections stall and new ones are accepted but never answered", async () => {
    const open = await connect();
    open.socket.write("a");
    await until(() => open.received() === "a", "the first echo");
    proxy.cut("drop");
    expect(proxy.isCut).toBe(true);
    open.socket.write("b");
    const fresh = await connect();
    fresh.socket.write("c");
    await settle();
    expect(open.received()).toBe("a");
    expect(fresh.received()).toBe("");
    expect(proxy.connectionCount).toBe(2);
    open.socket.destroy();
    fresh.socket.destroy();
  });

  it("restore: closes the stalled connections and forwards new ones again", async () => {
    const stalled = await connect();
    proxy.cut("drop");
    proxy.restore();
    expect(await stalled.ended).toBe("closed");
    expect(proxy.isCut).toBe(false);
    const fresh = await connect();
    fresh.socket.write("back");
    await until(() => fresh.received() === "back", "the echo after restore");
    fresh.socket.destroy();
  });

  it("reset: open connections and new ones are reset at once", async () => {
    const open = await connect();
    proxy.cut("reset");
    expect(await open.ended).toBe("ECONNRESET");
    const fresh = net.connect({ host: "127.0.0.1", port: proxy.port });
    const outcome = await new Promise<string>((resolve) => {
      fresh.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? ""));
      fresh.once("close", () => resolve("closed"));
    });
    expect(outcome).toBe("ECONNRESET");
    expect(proxy.connectionCount).toBe(0);
  });

  it("an unreachable target closes the client's connection", async () => {
    await new Promise((resolve) => echo.close(resolve));
    const deadTarget = await TcpProxy.start({ targetHost: "127.0.0.1", targetPort: echoPort });
    const socket = net.connect({ host: "127.0.0.1", port: deadTarget.port });
    const outcome = await new Promise<string>((resolve) => {
      socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? ""));
      socket.once("close", () => resolve("closed"));
    });
    expect(outcome).toBe("closed");
    await deadTarget.close();
    echo = net.createServer();
    await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve));
  });

  it("close: stops listening", async () => {
    const port = proxy.port;
    await proxy.close();
    const socket = net.connect({ host: "127.0.0.1", port });
    const code = await new Promise<string>((resolve) =>
      socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "")),
    );
    expect(code).toBe("ECONNREFUSED");
    proxy = await TcpProxy.start({ targetHost: "127.0.0.1", targetPort: echoPort });
  });

  it("a forgotten proxy does not keep the process alive", () => {
    const tsx = path.join(__dirname, "..", "..", "node_modules", ".bin", "tsx");
    const module = path.join(__dirname, "..", "..", "lib", "drill", "tcp-proxy.ts");
    const script =
      `const { TcpProxy } = require(${JSON.stringify(module)});` +
      `TcpProxy.start({ targetHost: "127.0.0.1", targetPort: ${echoPort} }).then((p) => console.log(p.port));`;
    const result = spawnSync(tsx, ["-e", script], { encoding: "utf8", timeout: 30_000 });
    expect(result.signal).toBeNull(); // not killed by the timeout: it ended on its own
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+$/);
  });
});
