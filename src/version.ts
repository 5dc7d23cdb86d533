/** nfdhcpd's version, shown by --version and in logs. */
export const VERSION = "1.0.0";
