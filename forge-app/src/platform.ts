/**
 * Where handlers get their ports. In Forge that is always the Forge adapters; the playground and
 * the tests install a factory that builds the same adapters with a controllable clock, so the
 * very same handler code runs in all three.
 */
import { forgePorts } from './adapters/forge';
import type { Ports } from './ports';

export type InvocationKind = 'resolver' | 'postFunction' | 'consumer' | 'sweep';
export type PortsFactory = (kind: InvocationKind) => Ports;

let factory: PortsFactory | null = null;

/** Replaces the ports factory (playground and tests only). Returns the previous one. */
export function installPlatform(next: PortsFactory | null): PortsFactory | null {
  const previous = factory;
  factory = next;
  return previous;
}

/** The ports for one invocation of the given kind. */
export function platform(kind: InvocationKind): Ports {
  return (factory ?? forgePorts)(kind);
}
