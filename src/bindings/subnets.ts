/** The subnet types a binding's values are read into. */

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
