/**
 * The contract between the PCI host bridge (which moves bus-master DMA) and bus_dma's strict
 * checker (which knows what the driver mapped and synced). Kept in its own file so that neither
 * side imports the other.
 */
export interface DeviceDmaChecker {
  /**
   * Called for every bus-master access, before the bytes move. `kind` is from the device's point of
   * view: 'read' = device reads host memory (DMA to the device), 'write' = device writes host memory.
   */
  deviceAccess(device: string, kind: 'read' | 'write', paddr: number, len: number, t: number): void;
}
