/*
 * The C reference responder of `make bench`: a libnetfilter_queue loop answering DHCPv4 from a
 * table, doing the main work our daemon does per request (TAP -> binding, chaddr check, OFFER/ACK
 * with the options ours sends in the bench, the frame written into the TAP through one AF_PACKET
 * socket, verdict DROP; ACCEPT for an interface without a binding), and less (no Ethernet source
 * check, no log line): the bar our packet path is measured against. Bench-only: its input is the bench's own binding files, in its namespaces.
 *
 *   nfq_responder QUEUE DATAPATH SERVER_IP DNS_IP
 *
 * The table: one row per file `tapI` of DATAPATH (MAC= and IP= lines), indexed by the TAP's
 * ifindex. Prints "ready" on stderr once the queue is bound; runs until SIGTERM.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <linux/netfilter.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

struct row {
  int used;
  uint8_t mac[6];    /* the binding's MAC */
  uint8_t tapmac[6]; /* the TAP's own: the reply's source */
  uint32_t ip;       /* host order */
  char name[IFNAMSIZ];
};

static struct row *table;
static int table_size;
static int packet_fd;
static uint32_t server_ip, dns_ip;
static volatile sig_atomic_t stopping;

static void die(const char *what) {
  perror(what);
  exit(1);
}

static int parse_mac(const char *s, uint8_t *mac) {
  unsigned b[6];
  if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6) return -1;
  for (int i = 0; i < 6; i++) mac[i] = (uint8_t)b[i];
  return 0;
}

/* Reads every binding file of `dir` into the table, by the TAP's ifindex. */
static void load_table(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) die("opendir");
  int ioctl_fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct dirent *e;
  while ((e = readdir(d))) {
    size_t name_len = strlen(e->d_name);
    if (e->d_name[0] == '.' || name_len >= IFNAMSIZ) continue;
    unsigned idx = if_nametoindex(e->d_name);
    if (idx == 0) continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    FILE *f = fopen(path, "r");
    if (!f) continue;
    struct row r = {0};
    char line[512];
    int have_mac = 0, have_ip = 0;
    while (fgets(line, sizeof line, f)) {
      line[strcspn(line, "\r\n")] = 0;
      if (!strncmp(line, "MAC=", 4)) have_mac = parse_mac(line + 4, r.mac) == 0;
      if (!strncmp(line, "IP=", 3)) {
        struct in_addr a;
        if (inet_pton(AF_INET, line + 3, &a) == 1) {
          r.ip = ntohl(a.s_addr);
          have_ip = 1;
        }
      }
    }
    fclose(f);
    if (!have_mac || !have_ip) continue;
    struct ifreq ifr = {0};
    memcpy(ifr.ifr_name, e->d_name, name_len + 1);
    if (ioctl(ioctl_fd, SIOCGIFHWADDR, &ifr) != 0) continue;
    memcpy(r.tapmac, ifr.ifr_hwaddr.sa_data, 6);
    memcpy(r.name, e->d_name, name_len + 1);
    r.used = 1;
    if ((int)idx >= table_size) {
      int n = (int)idx * 2 + 16;
      table = realloc(table, (size_t)n * sizeof *table);
      if (!table) die("realloc");
      memset(table + table_size, 0, (size_t)(n - table_size) * sizeof *table);
      table_size = n;
    }
    table[idx] = r;
  }
  closedir(d);
  close(ioctl_fd);
}

static uint32_t csum_add(uint32_t s, const uint8_t *p, size_t n) {
  for (size_t i = 0; i + 1 < n; i += 2) s += (uint32_t)(p[i] << 8 | p[i + 1]);
  if (n & 1) s += (uint32_t)(p[n - 1] << 8);
  return s;
}

static uint16_t csum_fold(uint32_t s) {
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return (uint16_t)~s;
}

static void put16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint8_t *opt(uint8_t *o, uint8_t code, const void *value, uint8_t len) {
  o[0] = code;
  o[1] = len;
  memcpy(o + 2, value, len);
  return o + 2 + len;
}

static uint8_t *opt32(uint8_t *o, uint8_t code, uint32_t v) {
  uint8_t b[4];
  put32(b, v);
  return opt(o, code, b, 4);
}

/* Answers one BOOTREQUEST from `r`'s TAP; 0 when it sent a reply, -1 when it refuses. */
static int answer(const struct row *r, int ifindex, const uint8_t *ip, int len) {
  int ihl = (ip[0] & 15) * 4;
  if ((ip[0] >> 4) != 4 || len < ihl + 8 + 240 || ip[9] != IPPROTO_UDP) return -1;
  if ((get32(ip + 4) & 0x3fff) != 0) return -1; /* fragment */
  const uint8_t *udp = ip + ihl;
  if ((udp[2] << 8 | udp[3]) != 67) return -1;
  const uint8_t *b = udp + 8;
  int blen = len - ihl - 8;
  if (b[0] != 1 || b[2] != 6 || memcmp(b + 28, r->mac, 6) != 0) return -1;
  if (get32(b + 236) != 0x63825363) return -1;
  int type = 0;
  uint32_t requested = 0, sid = 0;
  const uint8_t *client_id = NULL;
  uint8_t client_id_len = 0;
  for (int i = 240; i < blen;) {
    uint8_t code = b[i];
    if (code == 255) break;
    if (code == 0) {
      i++;
      continue;
    }
    if (i + 1 >= blen || i + 2 + b[i + 1] > blen) return -1;
    uint8_t olen = b[i + 1];
    if (code == 53 && olen == 1) type = b[i + 2];
    if (code == 50 && olen == 4) requested = get32(b + i + 2);
    if (code == 54 && olen == 4) sid = get32(b + i + 2);
    if (code == 61) {
      client_id = b + i + 2;
      client_id_len = olen;
    }
    i += 2 + olen;
  }
  int reply_type;
  if (type == 1) reply_type = 2;
  else if (type == 3) {
    if (sid != 0 && sid != server_ip) return -1;
    uint32_t wanted = requested ? requested : get32(b + 12);
    reply_type = wanted == 0 || wanted == r->ip ? 5 : 6;
  } else return -1;

  uint8_t frame[14 + 20 + 8 + 300 + 64];
  memset(frame, 0, sizeof frame);
  uint8_t *rb = frame + 14 + 20 + 8;
  rb[0] = 2;
  rb[1] = 1;
  rb[2] = 6;
  memcpy(rb + 4, b + 4, 4);   /* xid */
  memcpy(rb + 10, b + 10, 2); /* flags */
  memcpy(rb + 24, b + 24, 4); /* giaddr */
  memcpy(rb + 28, b + 28, 16);
  if (reply_type != 6) put32(rb + 16, r->ip);
  if (reply_type == 5) memcpy(rb + 12, b + 12, 4); /* ciaddr */
  put32(rb + 236, 0x63825363);
  uint8_t *o = rb + 240;
  if (reply_type != 6) {
    char host[IFNAMSIZ + 2];
    int hl = snprintf(host, sizeof host, "vm%s", r->name + 3);
    o = opt(o, 12, host, (uint8_t)hl);
    o = opt32(o, 28, (r->ip & 0xffff0000u) | 0xffff);
    o = opt32(o, 1, 0xffff0000u);
    o = opt32(o, 58, 600);
    o = opt32(o, 51, 604800);
    o = opt32(o, 3, server_ip);
    o = opt32(o, 6, dns_ip);
  }
  uint8_t t = (uint8_t)reply_type;
  o = opt(o, 53, &t, 1);
  o = opt32(o, 54, server_ip);
  if (client_id) o = opt(o, 61, client_id, client_id_len);
  *o++ = 255;
  int dhcp_len = (int)(o - rb);
  if (dhcp_len < 300) dhcp_len = 300;
  uint32_t ciaddr = get32(b + 12);
  int broadcast = reply_type == 6 || (ciaddr == 0 && (b[10] & 0x80));
  uint32_t dst = reply_type == 6 ? 0xffffffffu : ciaddr ? ciaddr : broadcast ? 0xffffffffu : r->ip;
  memcpy(frame, dst == 0xffffffffu ? (const uint8_t *)"\xff\xff\xff\xff\xff\xff" : r->mac, 6);
  memcpy(frame + 6, r->tapmac, 6);
  put16(frame + 12, ETHERTYPE_IP);
  uint8_t *rip = frame + 14;
  rip[0] = 0x45;
  put16(rip + 2, (uint16_t)(20 + 8 + dhcp_len));
  rip[8] = 64;
  rip[9] = IPPROTO_UDP;
  put32(rip + 12, server_ip);
  put32(rip + 16, dst);
  put16(rip + 10, csum_fold(csum_add(0, rip, 20)));
  uint8_t *rudp = rip + 20;
  put16(rudp, 67);
  put16(rudp + 2, 68);
  put16(rudp + 4, (uint16_t)(8 + dhcp_len));
  uint32_t s = csum_add(0, rip + 12, 8) + IPPROTO_UDP + (uint32_t)(8 + dhcp_len);
  uint16_t c = csum_fold(csum_add(s, rudp, (size_t)(8 + dhcp_len)));
  put16(rudp + 6, c == 0 ? 0xffff : c);
  struct sockaddr_ll to = {.sll_family = AF_PACKET, .sll_ifindex = ifindex, .sll_halen = 6};
  memcpy(to.sll_addr, frame, 6);
  size_t flen = (size_t)(14 + 20 + 8 + dhcp_len);
  if (sendto(packet_fd, frame, flen, 0, (struct sockaddr *)&to, sizeof to) < 0) return -1;
  return 0;
}

static int on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa,
                     void *data) {
  (void)msg;
  (void)data;
  struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
  uint32_t id = ph ? ntohl(ph->packet_id) : 0;
  uint32_t ifindex = nfq_get_physindev(nfa);
  if (ifindex == 0) ifindex = nfq_get_indev(nfa);
  if (ifindex >= (uint32_t)table_size || !table[ifindex].used) {
    return nfq_set_verdict(qh, id, NF_ACCEPT, 0, NULL);
  }
  unsigned char *payload;
  int len = nfq_get_payload(nfa, &payload);
  if (len > 0) answer(&table[ifindex], (int)ifindex, payload, len);
  return nfq_set_verdict(qh, id, NF_DROP, 0, NULL);
}

static void on_term(int sig) {
  (void)sig;
  stopping = 1;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s QUEUE DATAPATH SERVER_IP DNS_IP\n", argv[0]);
    return 2;
  }
  struct in_addr a;
  if (inet_pton(AF_INET, argv[3], &a) != 1) return 2;
  server_ip = ntohl(a.s_addr);
  if (inet_pton(AF_INET, argv[4], &a) != 1) return 2;
  dns_ip = ntohl(a.s_addr);
  load_table(argv[2]);
  packet_fd = socket(AF_PACKET, SOCK_RAW, 0);
  if (packet_fd < 0) die("socket(AF_PACKET)");
  struct nfq_handle *h = nfq_open();
  if (!h) die("nfq_open");
  nfq_bind_pf(h, AF_INET);
  struct nfq_q_handle *qh = nfq_create_queue(h, (uint16_t)atoi(argv[1]), on_packet, NULL);
  if (!qh) die("nfq_create_queue");
  if (nfq_set_mode(qh, NFQNL_COPY_PACKET, 0xffff) < 0) die("nfq_set_mode");
  nfq_set_queue_maxlen(qh, 4096);
  int fd = nfq_fd(h);
  int rcvbuf = 8 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf);
  struct sigaction sa = {.sa_handler = on_term};
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  fprintf(stderr, "nfq_responder ready: queue %s\n", argv[1]);
  char buf[0x10000 + 4096] __attribute__((aligned));
  while (!stopping) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR || errno == ENOBUFS) continue;
      die("recv");
    }
    nfq_handle_packet(h, buf, (int)n);
  }
  nfq_destroy_queue(qh);
  nfq_close(h);
  return 0;
}
