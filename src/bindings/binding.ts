/** A VM's binding: what one binding file (named after its TAP) says about the VM behind that TAP. */

/** An IPv4 subnet; `network` is an unsigned 32-bit number. */
export interface Subnet4 {
  readonly network: number;
  readonly prefixLength: number;
}

/** An IPv6 prefix. */
export interface Subnet6 {
  readonly prefix: Uint8Array;
  readonly prefixLength: number;
}

/** One binding, as parsed from `datapath/<tap>`. */
export interface Binding {
  /** The binding file's name: the TAP (physical in-device) the VM sits behind. */
  readonly tap: string;
  /** HOSTNAME, or the older INSTANCE. */
  readonly hostname: string | null;
  /** INDEV: the logical in-device (the bridge when bridged), else the TAP. */
  readonly indev: string;
  /** MAC as 6 bytes, and as lowercase text. */
  readonly mac: Uint8Array;
  readonly macText: string;
  /** IP (unsigned 32-bit) or null when the binding has none. */
  readonly ip: number | null;
  readonly subnet: Subnet4 | null;
  readonly gateway: number | null;
  readonly subnet6: Subnet6 | null;
  readonly gateway6: Uint8Array | null;
  readonly eui64: Uint8Array | null;
  readonly mtu: number | null;
  /** PRIVATE non-empty: no router option. */
  readonly private: boolean;
  /** MACSPOOF non-empty: skip the MAC check. */
  readonly macspoof: boolean;
}
