/** Raw libnetfilter_queue symbols (classic API; C prototypes as comments); no logic here. */

export const NFQ_SYMBOLS = {
  /** struct nfq_handle *nfq_open(void); */
  nfq_open: { parameters: [], result: "pointer" },
  /** int nfq_close(struct nfq_handle *h); */
  nfq_close: { parameters: ["pointer"], result: "i32" },
  /** int nfq_bind_pf(struct nfq_handle *h, uint16_t pf); (a no-op on kernels >= 3.8) */
  nfq_bind_pf: { parameters: ["pointer", "u16"], result: "i32" },
  /** int nfq_fd(struct nfq_handle *h); */
  nfq_fd: { parameters: ["pointer"], result: "i32" },
  /** struct nfq_q_handle *nfq_create_queue(struct nfq_handle *h, uint16_t num, nfq_callback *cb, void *data); */
  nfq_create_queue: { parameters: ["pointer", "u16", "function", "pointer"], result: "pointer" },
  /** int nfq_destroy_queue(struct nfq_q_handle *qh); */
  nfq_destroy_queue: { parameters: ["pointer"], result: "i32" },
  /** int nfq_set_mode(struct nfq_q_handle *qh, uint8_t mode, uint32_t range); */
  nfq_set_mode: { parameters: ["pointer", "u8", "u32"], result: "i32" },
  /** int nfq_set_queue_maxlen(struct nfq_q_handle *qh, uint32_t queuelen); */
  nfq_set_queue_maxlen: { parameters: ["pointer", "u32"], result: "i32" },
  /** int nfq_set_queue_flags(struct nfq_q_handle *qh, uint32_t mask, uint32_t flags); */
  nfq_set_queue_flags: { parameters: ["pointer", "u32", "u32"], result: "i32" },
  /** int nfq_set_verdict(struct nfq_q_handle *qh, uint32_t id, uint32_t verdict, uint32_t len, const unsigned char *buf); */
  nfq_set_verdict: {
    parameters: ["pointer", "u32", "u32", "u32", "pointer"],
    result: "i32",
  },
  /** int nfq_set_verdict_batch(struct nfq_q_handle *qh, uint32_t id, uint32_t verdict); every id <= id */
  nfq_set_verdict_batch: { parameters: ["pointer", "u32", "u32"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

export const NFQNL_COPY_PACKET = 2;
export const NFQA_CFG_F_FAIL_OPEN = 1;
export const NF_DROP = 0;
export const NF_ACCEPT = 1;
