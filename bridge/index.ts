/**
 * The bridge to Mahavishnu: periodic jobs run when it asks, and on the local scheduler while it
 * does not answer. Exports the bridge and its status.
 */

export type { BridgeStatus } from './bridge-state';
export { MahavishnuBridge } from './mahavishnu-bridge';
