// bench:trace (b) for Node: a loopback TCP echo server under load — 50 clients, 400 round trips each.
import { once } from "node:events";
import { createConnection, createServer } from "node:net";

const CLIENTS = 50;
const ROUND_TRIPS = 400;
const MESSAGE = "x".repeat(99) + "\n";

const server = createServer((socket) => socket.pipe(socket));
server.listen(0, "127.0.0.1");
await once(server, "listening");
const { port } = server.address();

async function client() {
  const socket = createConnection(port, "127.0.0.1");
  await once(socket, "connect");
  socket.setEncoding("utf8");
  let buffered = "";
  for (let trip = 0; trip < ROUND_TRIPS; trip++) {
    socket.write(MESSAGE);
    while (!buffered.includes("\n")) {
      const [chunk] = await once(socket, "data");
      buffered += chunk;
    }
    const line = buffered.slice(0, buffered.indexOf("\n") + 1);
    buffered = buffered.slice(line.length);
    if (line !== MESSAGE) throw new Error("echo mismatch");
  }
  socket.end();
}

await Promise.all(Array.from({ length: CLIENTS }, client));
server.close();
