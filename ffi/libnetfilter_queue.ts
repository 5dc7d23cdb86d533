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
  /** int nfq_handle_packet(struct nfq_handle *h, char *buf, int len); runs the queue callbacks */
  nfq_handle_packet: { parameters: ["pointer", "buffer", "i32"], result: "i32" },
  /** int nfq_set_verdict(struct nfq_q_handle *qh, uint32_t id, uint32_t verdict, uint32_t len, const unsigned char *buf); */
  nfq_set_verdict: {
    parameters: ["pointer", "u32", "u32", "u32", "pointer"],
    result: "i32",
  },
  /** int nfq_set_verdict_batch(struct nfq_q_handle *qh, uint32_t id, uint32_t verdict); every id <= id */
  nfq_set_verdict_batch: { parameters: ["pointer", "u32", "u32"], result: "i32" },
  /** struct nfqnl_msg_packet_hdr *nfq_get_msg_packet_hdr(struct nfq_data *nfad); */
  nfq_get_msg_packet_hdr: { parameters: ["pointer"], result: "pointer" },
  /** uint32_t nfq_get_indev(struct nfq_data *nfad); */
  nfq_get_indev: { parameters: ["pointer"], result: "u32" },
  /** uint32_t nfq_get_physindev(struct nfq_data *nfad); */
  nfq_get_physindev: { parameters: ["pointer"], result: "u32" },
  /** struct nfqnl_msg_packet_hw *nfq_get_packet_hw(struct nfq_data *nfad); */
  nfq_get_packet_hw: { parameters: ["pointer"], result: "pointer" },
  /** int nfq_get_payload(struct nfq_data *nfad, unsigned char **data); */
  nfq_get_payload: { parameters: ["pointer", "buffer"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/** nfq_callback: int cb(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfad, void *data); */
export const NFQ_CALLBACK = {
  parameters: ["pointer", "pointer", "pointer", "pointer"],
  result: "i32",
} as const satisfies Deno.UnsafeCallbackDefinition;

export const NFQNL_COPY_PACKET = 2;
export const NFQA_CFG_F_FAIL_OPEN = 1;
export const NF_DROP = 0;
export const NF_ACCEPT = 1;
