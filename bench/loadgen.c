/*
 * loadgen: closed-loop DHCPv4 / RS / DHCPv6 Information-Request load generator
 * for `make bench`. Bench-only tool; the product is TypeScript.
 *
 * Runs inside the client namespace, whose interfaces <ifprefix><first+i>
 * (i = 0..N-1) are the peers of the hypervisor's TAPs. Client i has
 *   MAC  = mac-base + i (low 32 bits), IPv4 = ip-base + i,
 *   link-local fe80::EUI-64(MAC).
 * It keeps C exchanges in flight (a new one as soon as one ends, a
 * per-exchange timeout, no retransmission), validates every reply and prints
 * one JSON object on stdout. Modes:
 *   dora     DISCOVER -> OFFER -> REQUEST -> ACK
 *   rs       Router Solicitation -> Router Advertisement (FIFO per interface)
 *   inforeq  DHCPv6 Information-Request -> Reply
 *   probe    one DORA on one interface, retransmitting every 100 ms, until it
 *            succeeds or --duration ends (readiness check; exit 0 on success)
 *   reflect  (run in the hypervisor namespace on the TAPs, --ifprefix tap) a
 *            zero-work DHCPv4 responder straight on AF_PACKET, no NFQUEUE: the
 *            generator's own ceiling, for calibration; runs until --duration
 *   txcsum-off IFNAME   turn off TX checksum offload on IFNAME (SIOCETHTOOL)
 * Timestamps: CLOCK_REALTIME; receive times from SO_TIMESTAMPNS.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <math.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_C 4096
#define BATCH 64
#define FRAME_MAX 1600
#define NREASONS 32

enum mode { M_DORA, M_RS, M_INFOREQ, M_PROBE, M_REFLECT };

/* ---------- options ---------- */
static enum mode mode = M_DORA;
static const char *ifprefix = "c";
static int first_if = 0, nif = 1, conc = 1;
static double duration_s = 5, warmup_s = 1;
static int timeout_ms = 1000;
static uint8_t mac_base[6] = {0x02, 0xcb, 0, 0, 0, 0};
static uint8_t hv_mac_base[6];
static int have_hv_mac = 0;
static uint32_t ip_base = 0;       /* host order */
static uint32_t server_id = 0;     /* host order, 0 = do not check */
static uint8_t prefix6[16];
static int have_prefix6 = 0;
static int server_pid = 0;
static int ra_watch = 0;
static int round_gap_ms = 1000;
static int probe_index = 0;
static int expect_dns6 = 0;

/* ---------- state ---------- */
struct slot {
  int active;
  int phase;        /* dora: 0 wait OFFER, 1 wait ACK; v6: 0 */
  int idx;          /* client index */
  uint32_t xid;
  uint64_t t_start; /* exchange start (deadline base) */
  uint64_t t_send;  /* send time of the current phase */
  uint32_t lat1;    /* D->O latency (ns) */
  int next;         /* rs FIFO link */
};
static struct slot slots[MAX_C];
static uint32_t gen_counter;

struct sample {
  uint64_t t;    /* completion (reply) time */
  uint32_t lat1; /* D->O, RS->RA, IR->Reply (ns) */
  uint32_t lat2; /* R->A (ns), 0 otherwise */
};
static struct sample *samples;
static size_t nsamples, capsamples;

struct raev {
  uint64_t t;
  uint32_t idx;
};
static struct raev *raevs;
static size_t nraevs, capraevs;
static uint64_t *tmo_times;
static size_t ntmo_times, captmo;

static int *ifindex_of;  /* client index -> ifindex */
static int *idx_of;      /* ifindex -> client index + 1 */
static int max_ifindex;
static int *fifo_head, *fifo_tail; /* rs: per-interface FIFO of slots */

static uint64_t sent, received, completed_window, completed_total;
static uint64_t timeouts, warmup_timeouts, invalid, unmatched, unsolicited_ra;
static uint64_t csum_unverified, send_errors, aborted;
static uint64_t reason_count[NREASONS];
static const char *reason_name[NREASONS];
static int nreasons;
static volatile sig_atomic_t got_signal;

static uint64_t t_run_start, t_warm_end, t_meas_end, t_win_start, t_win_end;
static int in_window, stopping;

static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "loadgen: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  exit(1);
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void count_reason(const char *r) {
  for (int i = 0; i < nreasons; i++)
    if (reason_name[i] == r || strcmp(reason_name[i], r) == 0) {
      reason_count[i]++;
      return;
    }
  if (nreasons < NREASONS) {
    reason_name[nreasons] = r;
    reason_count[nreasons++] = 1;
  }
}

/* ---------- checksums ---------- */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len) {
  while (len > 1) {
    sum += (uint32_t)((p[0] << 8) | p[1]);
    p += 2;
    len -= 2;
  }
  if (len) sum += (uint32_t)(p[0] << 8);
  return sum;
}
static uint16_t csum_fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)sum;
}
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static uint16_t get16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static uint32_t get32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* ---------- addressing ---------- */
static void mac_of(const uint8_t *base, int idx, uint8_t *out) {
  uint32_t low = get32(base + 2) + (uint32_t)idx;
  out[0] = base[0];
  out[1] = base[1];
  put32(out + 2, low);
}
static void ll_of(const uint8_t *mac, uint8_t *out) {
  memset(out, 0, 16);
  out[0] = 0xfe;
  out[1] = 0x80;
  out[8] = mac[0] ^ 0x02;
  out[9] = mac[1];
  out[10] = mac[2];
  out[11] = 0xff;
  out[12] = 0xfe;
  out[13] = mac[3];
  out[14] = mac[4];
  out[15] = mac[5];
}

/* ---------- frame builders ---------- */
static size_t build_dhcp4(uint8_t *f, int idx, uint32_t xid, int type, uint32_t req_ip,
                          uint32_t sid) {
  uint8_t mac[6];
  mac_of(mac_base, idx, mac);
  memset(f, 0, 14 + 20 + 8 + 300);
  memset(f, 0xff, 6);
  memcpy(f + 6, mac, 6);
  put16(f + 12, 0x0800);
  uint8_t *ip = f + 14, *udp = ip + 20, *b = udp + 8;
  b[0] = 1;
  b[1] = 1;
  b[2] = 6;
  put32(b + 4, xid);
  memcpy(b + 28, mac, 6);
  put32(b + 236, 0x63825363);
  uint8_t *o = b + 240;
  *o++ = 53; *o++ = 1; *o++ = (uint8_t)type;
  if (type == 3) {
    *o++ = 50; *o++ = 4; put32(o, req_ip); o += 4;
    *o++ = 54; *o++ = 4; put32(o, sid); o += 4;
  }
  static const uint8_t prl[] = {1, 3, 6, 12, 15, 26, 28, 51, 54, 58};
  *o++ = 55; *o++ = sizeof prl; memcpy(o, prl, sizeof prl); o += sizeof prl;
  *o++ = 57; *o++ = 2; put16(o, 1500); o += 2;
  *o++ = 255;
  size_t blen = (size_t)(o - b);
  if (blen < 300) blen = 300;
  size_t ulen = 8 + blen;
  ip[0] = 0x45;
  put16(ip + 2, (uint16_t)(20 + ulen));
  put16(ip + 4, (uint16_t)xid);
  ip[8] = 64;
  ip[9] = 17;
  put32(ip + 16, 0xffffffff);
  put16(ip + 10, (uint16_t)~csum_fold(csum_add(0, ip, 20)));
  put16(udp, 68);
  put16(udp + 2, 67);
  put16(udp + 4, (uint16_t)ulen);
  uint32_t s = csum_add(0, ip + 12, 8);
  s += 17 + (uint32_t)ulen;
  s = csum_add(s, udp, ulen);
  uint16_t c = (uint16_t)~csum_fold(s);
  put16(udp + 6, c ? c : 0xffff);
  return 14 + 20 + ulen;
}

static void ip6_hdr(uint8_t *f, const uint8_t *dmac, const uint8_t *smac, const uint8_t *src,
                    const uint8_t *dst, int nh, size_t plen, int hlim) {
  memcpy(f, dmac, 6);
  memcpy(f + 6, smac, 6);
  put16(f + 12, 0x86dd);
  uint8_t *ip = f + 14;
  memset(ip, 0, 40);
  ip[0] = 0x60;
  put16(ip + 4, (uint16_t)plen);
  ip[6] = (uint8_t)nh;
  ip[7] = (uint8_t)hlim;
  memcpy(ip + 8, src, 16);
  memcpy(ip + 24, dst, 16);
}
static uint32_t pseudo6(const uint8_t *ip, size_t plen, int nh) {
  uint32_t s = csum_add(0, ip + 8, 32);
  s += (uint32_t)(plen >> 16) + (uint32_t)(plen & 0xffff) + (uint32_t)nh;
  return s;
}

static size_t build_rs(uint8_t *f, int idx) {
  static const uint8_t dmac[6] = {0x33, 0x33, 0, 0, 0, 2};
  static const uint8_t dst[16] = {0xff, 0x02, [15] = 2};
  uint8_t mac[6], src[16];
  mac_of(mac_base, idx, mac);
  ll_of(mac, src);
  size_t plen = 16;
  ip6_hdr(f, dmac, mac, src, dst, 58, plen, 255);
  uint8_t *ic = f + 54;
  memset(ic, 0, plen);
  ic[0] = 133;
  ic[8] = 1; /* source link-layer address */
  ic[9] = 1;
  memcpy(ic + 10, mac, 6);
  put16(ic + 2, (uint16_t)~csum_fold(csum_add(pseudo6(f + 14, plen, 58), ic, plen)));
  return 54 + plen;
}

static size_t build_inforeq(uint8_t *f, int idx, uint32_t xid) {
  static const uint8_t dmac[6] = {0x33, 0x33, 0, 1, 0, 2};
  static const uint8_t dst[16] = {0xff, 0x02, [13] = 1, [14] = 0, [15] = 2};
  uint8_t mac[6], src[16];
  mac_of(mac_base, idx, mac);
  ll_of(mac, src);
  uint8_t *udp = f + 54, *d = udp + 8, *o = d + 4;
  d[0] = 11;
  d[1] = (uint8_t)(xid >> 16);
  d[2] = (uint8_t)(xid >> 8);
  d[3] = (uint8_t)xid;
  put16(o, 1); put16(o + 2, 10); put16(o + 4, 3); put16(o + 6, 1); memcpy(o + 8, mac, 6);
  o += 14;
  put16(o, 8); put16(o + 2, 2); put16(o + 4, 0); o += 6;
  put16(o, 6); put16(o + 2, 4); put16(o + 4, 23); put16(o + 6, 24); o += 8;
  size_t ulen = (size_t)(o - udp);
  ip6_hdr(f, dmac, mac, src, dst, 17, ulen, 1);
  put16(udp, 546);
  put16(udp + 2, 547);
  put16(udp + 4, (uint16_t)ulen);
  put16(udp + 6, 0);
  uint16_t c = (uint16_t)~csum_fold(csum_add(pseudo6(f + 14, ulen, 17), udp, ulen));
  put16(udp + 6, c ? c : 0xffff);
  return 54 + ulen;
}

/* ---------- sockets ---------- */
static int sock4 = -1, sock6 = -1;

/* A socket filter for IPv4 UDP datagrams to `port` that are not fragments (Ethernet frames). */
#define UDP4_DPORT_FILTER(port)                                \
  {                                                            \
    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 23),                    \
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 17, 0, 6),             \
    BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 20),                    \
    BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, 4, 0),        \
    BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 14),                   \
    BPF_STMT(BPF_LD | BPF_H | BPF_IND, 16),                    \
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (port), 0, 1),         \
    BPF_STMT(BPF_RET | BPF_K, 0xffff),                         \
    BPF_STMT(BPF_RET | BPF_K, 0),                              \
  }

static int open_sock(int proto, struct sock_filter *flt, unsigned short nflt) {
  int s = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons((uint16_t)proto));
  if (s < 0) die("socket(AF_PACKET): %s (need CAP_NET_RAW)", strerror(errno));
  struct sock_fprog prog = {nflt, flt};
  if (setsockopt(s, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0)
    die("SO_ATTACH_FILTER: %s", strerror(errno));
  int one = 1, buf = 8 << 20;
  setsockopt(s, SOL_PACKET, PACKET_AUXDATA, &one, sizeof one);
  setsockopt(s, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
  if (setsockopt(s, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) < 0)
    die("SO_TIMESTAMPNS: %s", strerror(errno));
  if (setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof buf) < 0)
    setsockopt(s, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  /* drain anything queued before the filter was attached */
  uint8_t tmp[64];
  while (recv(s, tmp, sizeof tmp, MSG_DONTWAIT) >= 0) {
  }
  return s;
}

static void open_sockets(void) {
  static struct sock_filter f4[] = UDP4_DPORT_FILTER(68);
  /* IPv6: ICMPv6 type 134 (RA) or UDP destination port 546 */
  static struct sock_filter f6[] = {
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 20),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 58, 0, 2),
      BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 54),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 134, 3, 4),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 17, 0, 3),
      BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 56),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 546, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, 0xffff),
      BPF_STMT(BPF_RET | BPF_K, 0),
  };
  if (mode == M_DORA || mode == M_PROBE) sock4 = open_sock(ETH_P_IP, f4, sizeof f4 / sizeof f4[0]);
  if (mode == M_RS || mode == M_INFOREQ || ra_watch)
    sock6 = open_sock(ETH_P_IPV6, f6, sizeof f6 / sizeof f6[0]);
}

/* ---------- send batching ---------- */
static uint8_t sbuf[BATCH][FRAME_MAX];
static struct sockaddr_ll saddr[BATCH];
static struct mmsghdr smsg[BATCH];
static struct iovec siov[BATCH];
static int sslot[BATCH];
static int nsend;
static int send_sock;

static void flush_sends(void) {
  if (!nsend) return;
  uint64_t t = now_ns();
  for (int i = 0; i < nsend; i++)
    if (sslot[i] >= 0) slots[sslot[i]].t_send = t;
  int done = 0;
  while (done < nsend) {
    int r = sendmmsg(send_sock, smsg + done, (unsigned)(nsend - done), 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      send_errors++;
      count_reason("send-error");
      done++; /* skip the failing frame; its exchange will time out */
      continue;
    }
    done += r;
  }
  sent += (uint64_t)nsend;
  nsend = 0;
}

static uint8_t *queue_frame(int slot, int idx) {
  if (nsend == BATCH) flush_sends();
  int i = nsend++;
  memset(&saddr[i], 0, sizeof saddr[i]);
  saddr[i].sll_family = AF_PACKET;
  saddr[i].sll_ifindex = ifindex_of[idx];
  saddr[i].sll_halen = 6;
  sslot[i] = slot;
  return sbuf[i];
}
static void set_len(size_t len) {
  int i = nsend - 1;
  siov[i].iov_base = sbuf[i];
  siov[i].iov_len = len;
  memset(&smsg[i], 0, sizeof smsg[i]);
  smsg[i].msg_hdr.msg_name = &saddr[i];
  smsg[i].msg_hdr.msg_namelen = sizeof saddr[i];
  smsg[i].msg_hdr.msg_iov = &siov[i];
  smsg[i].msg_hdr.msg_iovlen = 1;
  memcpy(saddr[i].sll_addr, sbuf[i], 6);
  saddr[i].sll_protocol = htons(get16(sbuf[i] + 12));
}

/* ---------- exchanges ---------- */
static int rr_next;
static int nactive;

static void fifo_push(int s) {
  int idx = slots[s].idx;
  slots[s].next = -1;
  if (fifo_tail[idx] >= 0) slots[fifo_tail[idx]].next = s;
  else fifo_head[idx] = s;
  fifo_tail[idx] = s;
}
/* Unlinks slot s from its interface's FIFO (it is usually the head). */
static void fifo_remove(int s) {
  int idx = slots[s].idx, prev = -1;
  for (int cur = fifo_head[idx]; cur >= 0; prev = cur, cur = slots[cur].next) {
    if (cur != s) continue;
    if (prev >= 0) slots[prev].next = slots[cur].next;
    else fifo_head[idx] = slots[cur].next;
    if (fifo_tail[idx] == cur) fifo_tail[idx] = prev;
    return;
  }
}

static void start_exchange(int s, uint64_t now) {
  struct slot *sl = &slots[s];
  int idx = mode == M_PROBE ? probe_index : rr_next;
  if (mode != M_PROBE) rr_next = (rr_next + 1) % nif;
  gen_counter++;
  sl->active = 1;
  sl->phase = 0;
  sl->idx = idx;
  sl->t_start = now;
  sl->lat1 = 0;
  if (mode == M_INFOREQ) sl->xid = ((gen_counter & 0xfff) << 12) | (uint32_t)s;
  else sl->xid = (gen_counter << 16) | (uint32_t)s;
  uint8_t *f = queue_frame(s, idx);
  size_t len;
  if (mode == M_DORA || mode == M_PROBE) len = build_dhcp4(f, idx, sl->xid, 1, 0, 0);
  else if (mode == M_RS) {
    len = build_rs(f, idx);
    fifo_push(s);
  } else len = build_inforeq(f, idx, sl->xid);
  set_len(len);
  nactive++;
}

static void end_exchange(int s, uint64_t now) {
  struct slot *sl = &slots[s];
  if (mode == M_RS) fifo_remove(s);
  sl->active = 0;
  nactive--;
  if (!stopping && mode != M_PROBE) start_exchange(s, now);
}

static void add_sample(uint64_t t, uint32_t l1, uint32_t l2) {
  if (nsamples == capsamples) {
    capsamples = capsamples ? capsamples * 2 : 65536;
    samples = realloc(samples, capsamples * sizeof *samples);
    if (!samples) die("out of memory");
  }
  samples[nsamples++] = (struct sample){t, l1, l2};
}

static int window_of(uint64_t t) { return t >= t_warm_end && t < t_meas_end; }

static void complete(int s, uint64_t t, uint32_t l1, uint32_t l2) {
  completed_total++;
  if (window_of(t)) completed_window++;
  add_sample(t, l1, l2);
  end_exchange(s, t);
}

static void fail(int s, const char *reason, uint64_t now) {
  invalid++;
  aborted++;
  count_reason(reason);
  end_exchange(s, now);
}

/* Unmatched replies and those with no usable header count as invalid too. */
static void bad(const char *reason) {
  invalid++;
  count_reason(reason);
}

/* ---------- reply handling ---------- */
static int probe_done;

static void handle_dhcp4(const uint8_t *f, size_t len, int idx, uint64_t t, int csum_ready) {
  if (len < 14 + 20 + 8 + 240) return bad("short");
  const uint8_t *ip = f + 14;
  size_t ihl = (size_t)(ip[0] & 15) * 4;
  if ((ip[0] >> 4) != 4 || ihl < 20) return bad("ip-header");
  size_t tot = get16(ip + 2);
  if (tot > len - 14 || tot < ihl + 8) return bad("ip-length");
  if (csum_fold(csum_add(0, ip, ihl)) != 0xffff) return bad("ip-csum");
  const uint8_t *udp = ip + ihl;
  size_t ulen = get16(udp + 4);
  if (ulen < 8 || ulen > tot - ihl) return bad("udp-length");
  if (get16(udp) != 67) return bad("udp-sport");
  if (!csum_ready) csum_unverified++;
  else if (get16(udp + 6) == 0) return bad("udp-csum-missing");
  else {
    uint32_t s = csum_add(0, ip + 12, 8) + 17 + (uint32_t)ulen;
    if (csum_fold(csum_add(s, udp, ulen)) != 0xffff) return bad("udp-csum");
  }
  const uint8_t *b = udp + 8;
  size_t blen = ulen - 8;
  if (blen < 240) return bad("bootp-short");
  uint32_t xid = get32(b + 4);
  uint32_t s = xid & 0xffff;
  if (mode == M_PROBE) s = 0;
  if (s >= (uint32_t)conc || !slots[s].active || slots[s].xid != xid) {
    unmatched++;
    return bad("unmatched-xid");
  }
  struct slot *sl = &slots[s];
  if (idx != sl->idx) return fail((int)s, "wrong-interface", t);
  uint8_t mac[6];
  mac_of(mac_base, sl->idx, mac);
  if (b[0] != 2) return fail((int)s, "bootp-op", t);
  if (b[1] != 1 || b[2] != 6 || memcmp(b + 28, mac, 6) != 0) return fail((int)s, "chaddr", t);
  if (get32(b + 16) != ip_base + (uint32_t)sl->idx) return fail((int)s, "yiaddr", t);
  if (memcmp(f, mac, 6) != 0 && memcmp(f, "\xff\xff\xff\xff\xff\xff", 6) != 0)
    return fail((int)s, "eth-dst", t);
  uint32_t dst = get32(ip + 16);
  if (dst != ip_base + (uint32_t)sl->idx && dst != 0xffffffff) return fail((int)s, "ip-dst", t);
  if (get32(b + 236) != 0x63825363) return fail((int)s, "magic", t);
  int type = -1, have_sid = 0;
  uint32_t sid = 0;
  size_t i = 240;
  for (;;) {
    if (i >= blen) return fail((int)s, "options-no-end", t);
    uint8_t code = b[i];
    if (code == 255) break;
    if (code == 0) {
      i++;
      continue;
    }
    if (i + 1 >= blen || i + 2 + b[i + 1] > blen) return fail((int)s, "options-overrun", t);
    uint8_t olen = b[i + 1];
    if (code == 53 && olen == 1) type = b[i + 2];
    if (code == 54 && olen == 4) {
      sid = get32(b + i + 2);
      have_sid = 1;
    }
    i += 2 + (size_t)olen;
  }
  int want = sl->phase == 0 ? 2 : 5;
  if (type == 6) return fail((int)s, "nak", t);
  if (type != want) return fail((int)s, "message-type", t);
  if (!have_sid) return fail((int)s, "server-id-missing", t);
  if (server_id && sid != server_id) return fail((int)s, "server-id", t);
  uint64_t lat = t > sl->t_send ? t - sl->t_send : 0;
  if (sl->phase == 0) {
    sl->lat1 = (uint32_t)lat;
    sl->phase = 1;
    uint8_t *fr = queue_frame((int)s, sl->idx);
    set_len(build_dhcp4(fr, sl->idx, xid, 3, ip_base + (uint32_t)sl->idx, sid));
    return;
  }
  if (mode == M_PROBE) {
    probe_done = 1;
    sl->active = 0;
    nactive--;
    return;
  }
  complete((int)s, t, sl->lat1, (uint32_t)lat);
}

static int check_ra(const uint8_t *f, size_t len, int idx, const char **why) {
  const uint8_t *ip = f + 14;
  size_t plen = get16(ip + 4);
  if (len < 54 + 16 || plen < 16 || plen > len - 54) return *why = "ra-length", 0;
  if (ip[7] != 255) return *why = "ra-hop-limit", 0;
  if (ip[8] != 0xfe || (ip[9] & 0xc0) != 0x80) return *why = "ra-src-not-link-local", 0;
  if (have_hv_mac) {
    uint8_t hm[6], ll[16];
    mac_of(hv_mac_base, idx, hm);
    ll_of(hm, ll);
    if (memcmp(ip + 8, ll, 16) != 0) return *why = "ra-src", 0;
  }
  const uint8_t *ic = ip + 40;
  if (ic[1] != 0) return *why = "ra-code", 0;
  if (csum_fold(csum_add(pseudo6(ip, plen, 58), ic, plen)) != 0xffff) return *why = "icmp6-csum", 0;
  uint8_t mac[6], myll[16];
  mac_of(mac_base, idx, mac);
  ll_of(mac, myll);
  static const uint8_t allnodes[16] = {0xff, 0x02, [15] = 1};
  if (memcmp(ip + 24, allnodes, 16) != 0 && memcmp(ip + 24, myll, 16) != 0)
    return *why = "ra-ip-dst", 0;
  if (memcmp(f, mac, 6) != 0 && memcmp(f, "\x33\x33\x00\x00\x00\x01", 6) != 0)
    return *why = "eth-dst", 0;
  int have_pio = !have_prefix6;
  size_t i = 16;
  while (i + 2 <= plen) {
    size_t olen = (size_t)ic[i + 1] * 8;
    if (olen == 0 || i + olen > plen) return *why = "ra-option-length", 0;
    if (ic[i] == 3 && olen == 32 && ic[i + 2] == 64 && (ic[i + 3] & 0x40) &&
        memcmp(ic + i + 16, prefix6, 8) == 0)
      have_pio = 1;
    i += olen;
  }
  if (!have_pio) return *why = "ra-prefix", 0;
  return 1;
}

static void handle_v6(const uint8_t *f, size_t len, int idx, uint64_t t, int csum_ready) {
  if (len < 54 + 4) return bad("short");
  const uint8_t *ip = f + 14;
  if ((ip[0] >> 4) != 6) return bad("ip-header");
  if (ip[6] == 58) {
    if (f[54] != 134) return;
    const char *why = NULL;
    int ok = check_ra(f, len, idx, &why);
    if (mode != M_RS) {
      /* ra-watch during DORA: record unsolicited RAs */
      if (!ok) return bad(why);
      unsolicited_ra++;
      if (nraevs == capraevs) {
        capraevs = capraevs ? capraevs * 2 : 16384;
        raevs = realloc(raevs, capraevs * sizeof *raevs);
        if (!raevs) die("out of memory");
      }
      raevs[nraevs++] = (struct raev){t, (uint32_t)idx};
      return;
    }
    int s = fifo_head[idx];
    if (s < 0) {
      unsolicited_ra++;
      if (!ok) bad(why);
      return;
    }
    if (!ok) return fail(s, why, t);
    struct slot *sl = &slots[s];
    complete(s, t, (uint32_t)(t > sl->t_send ? t - sl->t_send : 0), 0);
    return;
  }
  if (ip[6] != 17 || mode != M_INFOREQ) return;
  size_t plen = get16(ip + 4);
  if (plen < 8 + 4 || plen > len - 54) return bad("ip-length");
  const uint8_t *udp = ip + 40;
  size_t ulen = get16(udp + 4);
  if (ulen != plen) return bad("udp-length");
  if (get16(udp) != 547) return bad("udp-sport");
  if (!csum_ready) csum_unverified++;
  else if (get16(udp + 6) == 0) return bad("udp-csum-missing");
  else if (csum_fold(csum_add(pseudo6(ip, ulen, 17), udp, ulen)) != 0xffff)
    return bad("udp-csum");
  const uint8_t *d = udp + 8;
  size_t dlen = ulen - 8;
  uint32_t xid = ((uint32_t)d[1] << 16) | ((uint32_t)d[2] << 8) | d[3];
  uint32_t s = xid & 0xfff;
  if (s >= (uint32_t)conc || !slots[s].active || slots[s].xid != xid) {
    unmatched++;
    return bad("unmatched-xid");
  }
  struct slot *sl = &slots[s];
  if (idx != sl->idx) return fail((int)s, "wrong-interface", t);
  if (d[0] != 7) return fail((int)s, "message-type", t);
  uint8_t mac[6], ll[16];
  mac_of(mac_base, sl->idx, mac);
  ll_of(mac, ll);
  if (memcmp(f, mac, 6) != 0) return fail((int)s, "eth-dst", t);
  if (memcmp(ip + 24, ll, 16) != 0) return fail((int)s, "ip-dst", t);
  int have_cid = 0, have_sid = 0, have_dns = 0;
  size_t i = 4;
  while (i < dlen) {
    if (i + 4 > dlen) return fail((int)s, "options-overrun", t);
    uint16_t code = get16(d + i), olen = get16(d + i + 2);
    if (i + 4 + olen > dlen) return fail((int)s, "options-overrun", t);
    const uint8_t *v = d + i + 4;
    if (code == 1) {
      if (olen != 10 || get16(v) != 3 || get16(v + 2) != 1 || memcmp(v + 4, mac, 6) != 0)
        return fail((int)s, "client-id", t);
      have_cid = 1;
    }
    if (code == 2 && olen >= 2) have_sid = 1;
    if (code == 23 && olen >= 16 && olen % 16 == 0) have_dns = 1;
    i += 4 + olen;
  }
  if (!have_cid) return fail((int)s, "client-id-missing", t);
  if (!have_sid) return fail((int)s, "server-id-missing", t);
  if (expect_dns6 && !have_dns) return fail((int)s, "dns-missing", t);
  complete((int)s, t, (uint32_t)(t > sl->t_send ? t - sl->t_send : 0), 0);
}

#define RBATCH 64
static uint8_t rbuf[RBATCH][FRAME_MAX];
static uint8_t rctl[RBATCH][256];
static struct sockaddr_ll raddr[RBATCH];
static struct iovec riov[RBATCH];
static struct mmsghdr rmsg[RBATCH];

static int drain(int sock) {
  int total = 0;
  for (int rounds = 0; rounds < 64; rounds++) {
    for (int i = 0; i < RBATCH; i++) {
      riov[i].iov_base = rbuf[i];
      riov[i].iov_len = FRAME_MAX;
      memset(&rmsg[i].msg_hdr, 0, sizeof rmsg[i].msg_hdr);
      rmsg[i].msg_hdr.msg_name = &raddr[i];
      rmsg[i].msg_hdr.msg_namelen = sizeof raddr[i];
      rmsg[i].msg_hdr.msg_iov = &riov[i];
      rmsg[i].msg_hdr.msg_iovlen = 1;
      rmsg[i].msg_hdr.msg_control = rctl[i];
      rmsg[i].msg_hdr.msg_controllen = sizeof rctl[i];
    }
    int n = recvmmsg(sock, rmsg, RBATCH, MSG_DONTWAIT, NULL);
    if (n <= 0) break;
    uint64_t fallback = now_ns();
    for (int k = 0; k < n; k++) {
      struct msghdr *mh = &rmsg[k].msg_hdr;
      size_t len = rmsg[k].msg_len;
      uint64_t t = 0;
      int csum_ready = 1;
      for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
          struct timespec ts;
          memcpy(&ts, CMSG_DATA(c), sizeof ts);
          t = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
        } else if (c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA) {
          struct tpacket_auxdata aux;
          memcpy(&aux, CMSG_DATA(c), sizeof aux);
          if (aux.tp_status & TP_STATUS_CSUMNOTREADY) csum_ready = 0;
        }
      }
      if (!t) t = fallback;
      if (raddr[k].sll_pkttype == PACKET_OUTGOING) continue;
      received++;
      int ifi = raddr[k].sll_ifindex;
      int idx = (ifi > 0 && ifi <= max_ifindex) ? idx_of[ifi] - 1 : -1;
      if (idx < 0) {
        bad("unknown-interface");
        continue;
      }
      if (len < 14 || len > FRAME_MAX) {
        bad("short");
        continue;
      }
      uint16_t et = get16(rbuf[k] + 12);
      if (et == 0x0800) handle_dhcp4(rbuf[k], len, idx, t, csum_ready);
      else if (et == 0x86dd) handle_v6(rbuf[k], len, idx, t, csum_ready);
    }
    total += n;
    if (n < RBATCH) break;
  }
  return total;
}

/* ---------- CPU accounting ---------- */
static int read_proc_cpu(int pid, uint64_t *ticks) {
  char path[64], buf[2048];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  FILE *fp = fopen(path, "r");
  if (!fp) return -1;
  size_t n = fread(buf, 1, sizeof buf - 1, fp);
  fclose(fp);
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  if (!p) return -1;
  unsigned long long ut = 0, st = 0;
  /* after ") ": state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
  if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
    return -1;
  *ticks = ut + st;
  return 0;
}
static void read_sys_cpu(uint64_t *busy, uint64_t *total) {
  FILE *fp = fopen("/proc/stat", "r");
  unsigned long long v[10] = {0};
  if (fp) {
    if (fscanf(fp, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
               &v[4], &v[5], &v[6], &v[7]) != 8)
      memset(v, 0, sizeof v);
    fclose(fp);
  }
  *total = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
  *busy = *total - v[3] - v[4];
}
static uint64_t self_cpu_us(uint64_t *user, uint64_t *sys) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  *user = (uint64_t)ru.ru_utime.tv_sec * 1000000 + (uint64_t)ru.ru_utime.tv_usec;
  *sys = (uint64_t)ru.ru_stime.tv_sec * 1000000 + (uint64_t)ru.ru_stime.tv_usec;
  return *user + *sys;
}
struct cpu_snap {
  uint64_t srv, gen_user, gen_sys, sys_busy, sys_total;
  int srv_ok;
};
static void snap(struct cpu_snap *c) {
  c->srv_ok = server_pid > 0 && read_proc_cpu(server_pid, &c->srv) == 0;
  self_cpu_us(&c->gen_user, &c->gen_sys);
  read_sys_cpu(&c->sys_busy, &c->sys_total);
}

/* ---------- statistics ---------- */
static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}
static void print_pct(const char *name, uint32_t *v, size_t n) {
  printf("\"%s\":", name);
  if (!n) {
    printf("null");
    return;
  }
  qsort(v, n, sizeof *v, cmp_u32);
  double q[3] = {0.5, 0.9, 0.99};
  const char *qn[3] = {"p50", "p90", "p99"};
  printf("{");
  for (int i = 0; i < 3; i++) {
    size_t r = (size_t)ceil(q[i] * (double)n);
    if (r < 1) r = 1;
    printf("\"%s\":%.1f,", qn[i], v[r - 1] / 1000.0);
  }
  printf("\"max\":%.1f,\"n\":%zu}", v[n - 1] / 1000.0, n);
}

static void print_rounds(void) {
  printf(",\"ra_rounds\":[");
  uint8_t *seen = calloc((size_t)nif, 1);
  uint32_t *tmp = malloc((nsamples + 1) * sizeof *tmp);
  if (!seen || !tmp) die("out of memory");
  size_t i = 0;
  int nr = 0;
  uint64_t gap = (uint64_t)round_gap_ms * 1000000ull;
  uint64_t rs[64] = {0}, re[64] = {0};
  while (i < nraevs && nr < 64) {
    size_t j = i;
    memset(seen, 0, (size_t)nif);
    size_t distinct = 0;
    while (j < nraevs && (j == i || raevs[j].t - raevs[j - 1].t <= gap)) {
      if (!seen[raevs[j].idx]) {
        seen[raevs[j].idx] = 1;
        distinct++;
      }
      j++;
    }
    uint64_t a = raevs[i].t, b = raevs[j - 1].t;
    rs[nr] = a;
    re[nr] = b;
    size_t m = 0, tm = 0;
    for (size_t k = 0; k < nsamples; k++) {
      uint64_t treq = samples[k].t - samples[k].lat2;
      if (samples[k].t >= a && treq <= b) tmp[m++] = samples[k].lat2;
    }
    for (size_t k = 0; k < ntmo_times; k++)
      if (tmo_times[k] >= a && tmo_times[k] <= b + (uint64_t)timeout_ms * 1000000ull) tm++;
    printf("%s{\"start_ms\":%.1f,\"duration_ms\":%.1f,\"ras\":%zu,\"interfaces\":%zu,"
           "\"timeouts\":%zu,",
           nr ? "," : "", (double)(a - t_run_start) / 1e6, (double)(b - a) / 1e6, j - i,
           distinct, tm);
    print_pct("ack_us_during", tmp, m);
    printf("}");
    nr++;
    i = j;
  }
  printf("]");
  /* baseline: exchanges overlapping no round (with 100 ms margin) */
  size_t m = 0;
  for (size_t k = 0; k < nsamples; k++) {
    uint64_t t = samples[k].t, treq = t - samples[k].lat2;
    int overl = 0;
    for (int r = 0; r < nr; r++)
      if (t + 100000000ull >= rs[r] && treq <= re[r] + 100000000ull) overl = 1;
    if (!overl) tmp[m++] = samples[k].lat2;
  }
  printf(",");
  print_pct("ack_us_outside_rounds", tmp, m);
  free(seen);
  free(tmp);
}


/* ---------- reflector (calibration server) ---------- */
static int reflect_main(void) {
  static struct sock_filter f[] = UDP4_DPORT_FILTER(67);
  int sock = open_sock(ETH_P_IP, f, sizeof f / sizeof f[0]);
  send_sock = sock;
  uint64_t end = now_ns() + (uint64_t)(duration_s * 1e9), answered = 0;
  struct pollfd pfd = {.fd = sock, .events = POLLIN};
  fprintf(stderr, "reflector ready\n");
  while (!got_signal && now_ns() < end) {
    if (poll(&pfd, 1, 100) <= 0) continue;
    for (int i = 0; i < RBATCH; i++) {
      riov[i].iov_base = rbuf[i];
      riov[i].iov_len = FRAME_MAX;
      memset(&rmsg[i].msg_hdr, 0, sizeof rmsg[i].msg_hdr);
      rmsg[i].msg_hdr.msg_name = &raddr[i];
      rmsg[i].msg_hdr.msg_namelen = sizeof raddr[i];
      rmsg[i].msg_hdr.msg_iov = &riov[i];
      rmsg[i].msg_hdr.msg_iovlen = 1;
    }
    int n = recvmmsg(sock, rmsg, RBATCH, MSG_DONTWAIT, NULL);
    for (int k = 0; k < n; k++) {
      const uint8_t *q = rbuf[k];
      size_t len = rmsg[k].msg_len;
      int ifi = raddr[k].sll_ifindex;
      int idx = (ifi > 0 && ifi <= max_ifindex) ? idx_of[ifi] - 1 : -1;
      if (idx < 0 || len < 14 + 20 + 8 + 244) continue;
      const uint8_t *b = q + 14 + (size_t)(q[14] & 15) * 4 + 8;
      if (b + 244 > q + len) continue;
      int type = 0;
      for (const uint8_t *o = b + 240; o + 2 <= q + len && *o != 255; o += *o ? 2 + o[1] : 1)
        if (o[0] == 53) type = o[2];
      if (type != 1 && type != 3) continue;
      uint8_t hvmac[6];
      mac_of(hv_mac_base, idx, hvmac);
      uint8_t *r = queue_frame(-1, idx);
      memset(r, 0, 14 + 20 + 8 + 300);
      memcpy(r, b + 28, 6);
      memcpy(r + 6, hvmac, 6);
      put16(r + 12, 0x0800);
      uint8_t *ip = r + 14, *udp = ip + 20, *rb = udp + 8;
      rb[0] = 2;
      rb[1] = 1;
      rb[2] = 6;
      memcpy(rb + 4, b + 4, 4);
      put32(rb + 16, ip_base + (uint32_t)idx);
      memcpy(rb + 28, b + 28, 16);
      put32(rb + 236, 0x63825363);
      uint8_t *o = rb + 240;
      *o++ = 53; *o++ = 1; *o++ = type == 1 ? 2 : 5;
      *o++ = 54; *o++ = 4; put32(o, server_id); o += 4;
      *o++ = 51; *o++ = 4; put32(o, 604800); o += 4;
      *o++ = 1; *o++ = 4; put32(o, 0xffff0000); o += 4;
      *o++ = 255;
      size_t ulen = 8 + 300;
      ip[0] = 0x45;
      put16(ip + 2, (uint16_t)(20 + ulen));
      ip[8] = 64;
      ip[9] = 17;
      put32(ip + 12, server_id);
      put32(ip + 16, ip_base + (uint32_t)idx);
      put16(ip + 10, (uint16_t)~csum_fold(csum_add(0, ip, 20)));
      put16(udp, 67);
      put16(udp + 2, 68);
      put16(udp + 4, (uint16_t)ulen);
      uint32_t sum = csum_add(0, ip + 12, 8) + 17 + (uint32_t)ulen;
      uint16_t c = (uint16_t)~csum_fold(csum_add(sum, udp, ulen));
      put16(udp + 6, c ? c : 0xffff);
      set_len(14 + 20 + ulen);
      answered++;
    }
    flush_sends();
  }
  printf("{\"mode\":\"reflect\",\"answered\":%llu}\n", (unsigned long long)answered);
  return 0;
}

/* ---------- main ---------- */
static void on_signal(int sig) {
  (void)sig;
  got_signal = 1;
}

static int parse_mac(const char *s, uint8_t *m) {
  unsigned v[6];
  if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6) return -1;
  for (int i = 0; i < 6; i++) m[i] = (uint8_t)v[i];
  return 0;
}
static uint32_t parse_ip4(const char *s) {
  struct in_addr a;
  if (inet_pton(AF_INET, s, &a) != 1) die("bad IPv4 address: %s", s);
  return ntohl(a.s_addr);
}

static int txcsum_off(const char *ifname) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  if (s < 0) die("socket: %s", strerror(errno));
  struct ethtool_value ev = {.cmd = ETHTOOL_STXCSUM, .data = 0};
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
  ifr.ifr_data = (char *)&ev;
  if (ioctl(s, SIOCETHTOOL, &ifr) < 0) die("SIOCETHTOOL %s: %s", ifname, strerror(errno));
  close(s);
  return 0;
}

static void usage(void) {
  fprintf(stderr,
          "usage: loadgen --mode dora|rs|inforeq|probe --count N [--first F] [--ifprefix c]\n"
          "  --concurrency C --duration S --warmup S --timeout-ms MS\n"
          "  --mac-base MAC --ip-base A.B.C.D [--server-id A.B.C.D] [--hv-mac-base MAC]\n"
          "  [--prefix6 2001:db8::] [--expect-dns6] [--pid P] [--ra-watch] [--round-gap-ms MS]\n"
          "  [--probe-index I]\n"
          "       loadgen --mode reflect --ifprefix tap --count N --ip-base A --server-id A\n"
          "               --hv-mac-base MAC --duration S\n"
          "       loadgen txcsum-off IFNAME\n");
  exit(2);
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "txcsum-off") == 0) return txcsum_off(argv[2]);
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define ARG(name) (strcmp(a, name) == 0 && v && (i++, 1))
    if (ARG("--mode")) {
      if (!strcmp(v, "dora")) mode = M_DORA;
      else if (!strcmp(v, "rs")) mode = M_RS;
      else if (!strcmp(v, "inforeq")) mode = M_INFOREQ;
      else if (!strcmp(v, "probe")) mode = M_PROBE;
      else if (!strcmp(v, "reflect")) mode = M_REFLECT;
      else usage();
    } else if (ARG("--ifprefix")) ifprefix = v;
    else if (ARG("--first")) first_if = atoi(v);
    else if (ARG("--count")) nif = atoi(v);
    else if (ARG("--concurrency")) conc = atoi(v);
    else if (ARG("--duration")) duration_s = atof(v);
    else if (ARG("--warmup")) warmup_s = atof(v);
    else if (ARG("--timeout-ms")) timeout_ms = atoi(v);
    else if (ARG("--mac-base")) {
      if (parse_mac(v, mac_base)) usage();
    } else if (ARG("--hv-mac-base")) {
      if (parse_mac(v, hv_mac_base)) usage();
      have_hv_mac = 1;
    } else if (ARG("--ip-base")) ip_base = parse_ip4(v);
    else if (ARG("--server-id")) server_id = parse_ip4(v);
    else if (ARG("--prefix6")) {
      if (inet_pton(AF_INET6, v, prefix6) != 1) die("bad IPv6 prefix: %s", v);
      have_prefix6 = 1;
    } else if (ARG("--pid")) server_pid = atoi(v);
    else if (ARG("--round-gap-ms")) round_gap_ms = atoi(v);
    else if (ARG("--probe-index")) probe_index = atoi(v);
    else if (!strcmp(a, "--ra-watch")) ra_watch = 1;
    else if (!strcmp(a, "--expect-dns6")) expect_dns6 = 1;
    else usage();
  }
  if (nif < 1 || conc < 1 || conc > MAX_C || duration_s <= 0 || warmup_s < 0 || timeout_ms < 1)
    die("bad --count/--concurrency (1..%d)/--duration/--warmup/--timeout-ms", MAX_C);
  if (mode == M_INFOREQ && conc > 4096) die("inforeq: concurrency at most 4096");
  if (mode == M_PROBE) conc = 1;
  if (probe_index < 0 || probe_index >= nif) die("--probe-index out of range");

  ifindex_of = calloc((size_t)nif, sizeof *ifindex_of);
  if (!ifindex_of) die("out of memory");
  for (int i = 0; i < nif; i++) {
    char name[IFNAMSIZ + 8];
    snprintf(name, sizeof name, "%s%d", ifprefix, first_if + i);
    unsigned ix = if_nametoindex(name);
    if (!ix) die("interface %s: %s", name, strerror(errno));
    ifindex_of[i] = (int)ix;
    if ((int)ix > max_ifindex) max_ifindex = (int)ix;
  }
  idx_of = calloc((size_t)max_ifindex + 1, sizeof *idx_of);
  fifo_head = malloc((size_t)nif * sizeof *fifo_head);
  fifo_tail = malloc((size_t)nif * sizeof *fifo_tail);
  if (!idx_of || !fifo_head || !fifo_tail) die("out of memory");
  for (int i = 0; i < nif; i++) {
    idx_of[ifindex_of[i]] = i + 1;
    fifo_head[i] = fifo_tail[i] = -1;
  }
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  if (mode == M_REFLECT) return reflect_main();
  open_sockets();
  send_sock = sock4 >= 0 && mode != M_RS && mode != M_INFOREQ ? sock4 : sock6;

  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  struct timespec rnd;
  clock_gettime(CLOCK_MONOTONIC, &rnd);
  gen_counter = (uint32_t)(rnd.tv_nsec ^ getpid());

  t_run_start = now_ns();
  t_warm_end = t_run_start + (uint64_t)(warmup_s * 1e9);
  t_meas_end = t_warm_end + (uint64_t)(duration_s * 1e9);
  uint64_t hard_end = t_meas_end + (uint64_t)timeout_ms * 1000000ull + 2000000000ull;
  uint64_t tmo = (uint64_t)timeout_ms * 1000000ull;
  struct cpu_snap c0 = {0}, c1 = {0};
  if (warmup_s == 0) {
    snap(&c0);
    in_window = 1;
    t_win_start = t_run_start;
  }

  uint64_t probe_next = 0;
  if (mode == M_PROBE) {
    hard_end = t_run_start + (uint64_t)(duration_s * 1e9);
  } else {
    for (int s = 0; s < conc; s++) start_exchange(s, t_run_start);
    flush_sends();
  }

  struct pollfd pfd[2];
  int npfd = 0;
  if (sock4 >= 0) pfd[npfd++] = (struct pollfd){.fd = sock4, .events = POLLIN};
  if (sock6 >= 0) pfd[npfd++] = (struct pollfd){.fd = sock6, .events = POLLIN};

  for (;;) {
    uint64_t now = now_ns();
    if (got_signal) break;
    if (now >= hard_end) break;
    if (mode == M_PROBE) {
      if (probe_done) break;
      if (now >= probe_next) {
        /* (re)start the probe exchange: retransmission is allowed here */
        if (slots[0].active) nactive--;
        slots[0].active = 0;
        start_exchange(0, now);
        flush_sends();
        probe_next = now + 100000000ull;
      }
    } else {
      if (!in_window && !stopping && now >= t_warm_end) {
        snap(&c0);
        in_window = 1;
        t_win_start = now;
      }
      if (!stopping && now >= t_meas_end) {
        snap(&c1);
        t_win_end = now;
        stopping = 1;
      }
      if (stopping && nactive == 0) break;
      for (int s = 0; s < conc; s++) {
        if (slots[s].active && now - slots[s].t_start >= tmo) {
          if (now >= t_warm_end) timeouts++;
          else warmup_timeouts++;
          if (ra_watch) {
            if (ntmo_times == captmo) {
              captmo = captmo ? captmo * 2 : 1024;
              tmo_times = realloc(tmo_times, captmo * sizeof *tmo_times);
              if (!tmo_times) die("out of memory");
            }
            tmo_times[ntmo_times++] = now;
          }
          end_exchange(s, now);
        }
      }
      flush_sends();
    }
    /* wait until a reply or the next deadline */
    uint64_t next = hard_end;
    if (mode == M_PROBE) next = probe_next;
    else {
      if (!in_window && t_warm_end < next) next = t_warm_end;
      if (!stopping && t_meas_end < next) next = t_meas_end;
      for (int s = 0; s < conc; s++)
        if (slots[s].active && slots[s].t_start + tmo < next) next = slots[s].t_start + tmo;
    }
    now = now_ns();
    int wait_ms = next > now ? (int)((next - now + 999999) / 1000000) : 0;
    if (wait_ms > 100) wait_ms = 100;
    int r = poll(pfd, (nfds_t)npfd, wait_ms);
    if (r < 0 && errno != EINTR) die("poll: %s", strerror(errno));
    for (int k = 0; k < npfd; k++)
      if (pfd[k].revents & POLLIN) drain(pfd[k].fd);
    flush_sends();
  }
  if (mode == M_PROBE) {
    uint64_t t = now_ns();
    printf("{\"mode\":\"probe\",\"ok\":%s,\"ms\":%.1f,\"invalid\":%llu}\n",
           probe_done ? "true" : "false", (double)(t - t_run_start) / 1e6,
           (unsigned long long)invalid);
    return probe_done ? 0 : 1;
  }
  if (!stopping) {
    snap(&c1);
    t_win_end = now_ns();
  }

  /* socket-level drops */
  uint64_t sock_drops = 0;
  int socks[2] = {sock4, sock6};
  for (int k = 0; k < 2; k++) {
    if (socks[k] < 0) continue;
    struct tpacket_stats st;
    socklen_t sl = sizeof st;
    if (getsockopt(socks[k], SOL_PACKET, PACKET_STATISTICS, &st, &sl) == 0) sock_drops += st.tp_drops;
  }

  double win = (double)(t_win_end - t_win_start) / 1e9;
  if (win <= 0) win = 1e-9;
  long hz = sysconf(_SC_CLK_TCK);
  const char *mname = mode == M_DORA ? "dora" : mode == M_RS ? "rs" : "inforeq";
  printf("{\"mode\":\"%s\",\"n\":%d,\"c\":%d,\"window_s\":%.3f,\"warmup_s\":%.3f,"
         "\"timeout_ms\":%d,\"completed\":%llu,\"rate\":%.1f,",
         mname, nif, conc, win, warmup_s, timeout_ms, (unsigned long long)completed_window,
         completed_window / win);
  uint32_t *v = malloc((nsamples + 1) * sizeof *v);
  if (!v) die("out of memory");
  size_t m = 0;
  for (size_t k = 0; k < nsamples; k++)
    if (window_of(samples[k].t)) v[m++] = samples[k].lat1;
  print_pct(mode == M_DORA ? "offer_us" : mode == M_RS ? "ra_us" : "reply_us", v, m);
  if (mode == M_DORA) {
    m = 0;
    for (size_t k = 0; k < nsamples; k++)
      if (window_of(samples[k].t)) v[m++] = samples[k].lat2;
    printf(",");
    print_pct("ack_us", v, m);
  }
  free(v);
  printf(",\"timeouts\":%llu,\"warmup_timeouts\":%llu,\"invalid\":%llu,\"unmatched\":%llu,"
         "\"aborted\":%llu,\"unsolicited_ra\":%llu,\"csum_unverified\":%llu,\"sent\":%llu,"
         "\"received\":%llu,\"send_errors\":%llu,\"sock_drops\":%llu,\"completed_total\":%llu,",
         (unsigned long long)timeouts, (unsigned long long)warmup_timeouts,
         (unsigned long long)invalid, (unsigned long long)unmatched, (unsigned long long)aborted,
         (unsigned long long)unsolicited_ra, (unsigned long long)csum_unverified,
         (unsigned long long)sent, (unsigned long long)received, (unsigned long long)send_errors,
         (unsigned long long)sock_drops, (unsigned long long)completed_total);
  printf("\"invalid_reasons\":{");
  for (int i = 0; i < nreasons; i++)
    printf("%s\"%s\":%llu", i ? "," : "", reason_name[i], (unsigned long long)reason_count[i]);
  printf("},");
  if (c0.srv_ok && c1.srv_ok)
    printf("\"server_cpu\":%.3f,", (double)(c1.srv - c0.srv) / (double)hz / win);
  else printf("\"server_cpu\":null,");
  double gu = (double)(c1.gen_user - c0.gen_user) / 1e6 / win;
  double gs = (double)(c1.gen_sys - c0.gen_sys) / 1e6 / win;
  double sb = c1.sys_total > c0.sys_total
                  ? (double)(c1.sys_busy - c0.sys_busy) / (double)(c1.sys_total - c0.sys_total)
                  : 0;
  printf("\"gen_cpu\":%.3f,\"gen_user\":%.3f,\"gen_sys\":%.3f,\"machine_busy\":%.3f,"
         "\"ncpu\":%ld",
         gu + gs, gu, gs, sb, sysconf(_SC_NPROCESSORS_ONLN));
  if (ra_watch) print_rounds();
  printf("}\n");
  return got_signal ? 3 : 0;
}
