import { randomUUID } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import type { LeaseHolder } from './lease.js';

let self: LeaseHolder | undefined;

/**
 * This process as a lease holder: a random id (fixed for the life of the
 * process), its pid, host name and pid space. Computed once.
 */
export function thisProcess(): LeaseHolder {
  self ??= { id: randomUUID(), pid: process.pid, host: hostname(), pidSpace: pidSpace() };
  return self;
}

/**
 * Where a pid means the same process: the kernel's boot id plus the pid
 * namespace on Linux (two containers on one host, or one host before and
 * after a reboot, are different pid spaces even with the same host name);
 * elsewhere only the host name, which is the best a process can tell.
 */
function pidSpace(): string {
  try {
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const namespace = readlinkSync('/proc/self/ns/pid');
    return `linux:${boot}:${namespace}`;
  } catch {
    return `host:${hostname()}`;
  }
}
