// An order service on Node's event loop: HTTP handlers, a store, a background flusher.
import { readFileSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { execFile, execSync } from "node:child_process";
import { promisify } from "node:util";

export interface Order {
  id: string;
  sku: string;
  quantity: number;
}

export class OrderStore {
  private readonly pending: Order[] = [];
  ready = false;

  async save(order: Order): Promise<void> {
    this.pending.push(order);
    await writeFile(`orders/${order.id}.json`, JSON.stringify(order));
  }

  async waitUntilReady(): Promise<void> {
    // non-yielding-loop: nothing in the loop sets `ready`, and no other task can run to do it.
    while (!this.ready) {
      this.pending.sort((a, b) => a.quantity - b.quantity);
    }
  }
}

export async function loadPrices(path: string): Promise<Record<string, number>> {
  // blocking-call: the whole event loop waits for the disk; `await readFile(...)` does not.
  return JSON.parse(readFileSync(path, "utf8"));
}

export async function loadPricesWithoutBlocking(path: string): Promise<Record<string, number>> {
  return JSON.parse(await readFile(path, "utf8"));
}

export async function createOrder(store: OrderStore, order: Order): Promise<string> {
  store.save(order); // unawaited-coroutine: a failed write is an unhandled rejection, and the reply goes out first.
  return order.id;
}

export async function createOrderSafely(store: OrderStore, order: Order): Promise<string> {
  await store.save(order);
  return order.id;
}

export async function deploy(target: string): Promise<string> {
  // blocking-call: a build can take minutes, and no request is served meanwhile.
  return execSync(`make deploy TARGET=${target}`).toString();
}

export async function deployWithoutBlocking(target: string): Promise<string> {
  const { stdout } = await promisify(execFile)("make", ["deploy", `TARGET=${target}`]);
  return stdout;
}
