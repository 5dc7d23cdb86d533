/** Raw libc symbols used by the FFI edge (C prototypes as comments); no logic here. */

export const LIBC_SYMBOLS = {
  /** int socket(int domain, int type, int protocol); */
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  /** int bind(int fd, const struct sockaddr *addr, socklen_t len); */
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  /** int close(int fd); */
  close: { parameters: ["i32"], result: "i32" },
  /** ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to, socklen_t tolen); */
  sendto: {
    parameters: ["i32", "buffer", "usize", "i32", "buffer", "u32"],
    result: "isize",
  },
  /** ssize_t recv(int fd, void *buf, size_t len, int flags); */
  recv: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
  /** int setsockopt(int fd, int level, int name, const void *value, socklen_t len); */
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  /** int poll(struct pollfd *fds, nfds_t n, int timeout) — waits off the JS thread. */
  poll: { parameters: ["buffer", "u64", "i32"], result: "i32", nonblocking: true },
  /** The same poll(), on the JS thread: for short waits while traffic is flowing. */
  poll_sync: { name: "poll", parameters: ["buffer", "u64", "i32"], result: "i32" },
  /** int eventfd(unsigned int initval, int flags); */
  eventfd: { parameters: ["u32", "i32"], result: "i32" },
  /** ssize_t write(int fd, const void *buf, size_t n); */
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  /** ssize_t read(int fd, void *buf, size_t n); */
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  /** int ioctl(int fd, unsigned long request, void *arg); */
  ioctl: { parameters: ["i32", "u64", "buffer"], result: "i32" },
  /** unsigned int if_nametoindex(const char *name); */
  if_nametoindex: { parameters: ["buffer"], result: "u32" },
  /** char *if_indextoname(unsigned int index, char *name); */
  if_indextoname: { parameters: ["u32", "buffer"], result: "pointer" },
  /** int *__errno_location(void); */
  __errno_location: { parameters: [], result: "pointer" },
  /** char *strerror(int errnum); */
  strerror: { parameters: ["i32"], result: "pointer" },
  /** pid_t getpid(void); */
  getpid: { parameters: [], result: "i32" },
  /** int kill(pid_t pid, int sig); — sig 0 only probes whether pid exists. */
  kill: { parameters: ["i32", "i32"], result: "i32" },
  /** int execve(const char *path, char *const argv[], char *const envp[]); */
  execve: { parameters: ["buffer", "buffer", "buffer"], result: "i32" },
  /** int open(const char *path, int flags, mode_t mode); */
  open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
  /** int dup2(int oldfd, int newfd); */
  dup2: { parameters: ["i32", "i32"], result: "i32" },
  /** ssize_t readlink(const char *path, char *buf, size_t size); */
  readlink: { parameters: ["buffer", "buffer", "usize"], result: "isize" },
  /** DIR *opendir(const char *name); */
  opendir: { parameters: ["buffer"], result: "pointer" },
  /** struct dirent *readdir(DIR *dir); */
  readdir: { parameters: ["pointer"], result: "pointer" },
  /** int closedir(DIR *dir); */
  closedir: { parameters: ["pointer"], result: "i32" },
  /** struct passwd *getpwnam(const char *name); */
  getpwnam: { parameters: ["buffer"], result: "pointer" },
  /** struct passwd *getpwuid(uid_t uid); */
  getpwuid: { parameters: ["u32"], result: "pointer" },
  /** int pthread_sigmask(int how, const sigset_t *set, sigset_t *old); — the calling thread's mask. */
  pthread_sigmask: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  /** sighandler_t signal(int sig, sighandler_t handler); — process-wide disposition. */
  signal: { parameters: ["i32", "pointer"], result: "pointer" },
  /** int fstat(int fd, struct stat *buf); — glibc 2.33+ exports it (older ones only __fxstat). */
  fstat: { parameters: ["i32", "buffer"], result: "i32" },
  /** int statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *buf); */
  statx: { parameters: ["i32", "buffer", "i32", "u32", "buffer"], result: "i32" },
  /** int listen(int fd, int backlog); */
  listen: { parameters: ["i32", "i32"], result: "i32" },
  /** int connect(int fd, const struct sockaddr *addr, socklen_t len); */
  connect: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  /** int shutdown(int fd, int how); — wakes a thread blocked in accept/recv/send on fd. */
  shutdown: { parameters: ["i32", "i32"], result: "i32" },
  /** accept4(fd, NULL, NULL, flags), waiting off the JS thread (its errno is not readable after). */
  accept4_wait: {
    name: "accept4",
    parameters: ["i32", "pointer", "pointer", "i32"],
    result: "i32",
    nonblocking: true,
  },
  /** recv() waiting off the JS thread (its errno is not readable after). */
  recv_wait: {
    name: "recv",
    parameters: ["i32", "buffer", "usize", "i32"],
    result: "isize",
    nonblocking: true,
  },
  /** ssize_t send(int fd, const void *buf, size_t len, int flags), off the JS thread. */
  send_wait: {
    name: "send",
    parameters: ["i32", "buffer", "usize", "i32"],
    result: "isize",
    nonblocking: true,
  },
} as const satisfies Deno.ForeignLibraryInterface;

export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_PACKET = 17;
export const AF_NETLINK = 16;
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;
export const NETLINK_ROUTE = 0;
export const RTMGRP_LINK = 1;
export const MSG_DONTWAIT = 0x40;
export const MSG_NOSIGNAL = 0x4000;
export const SOL_SOCKET = 1;
export const SO_RCVBUF = 8;
export const SO_SNDBUF = 7;
export const SO_RCVBUFFORCE = 33;
export const SO_SNDBUFFORCE = 32;
export const SOL_NETLINK = 270;
export const NETLINK_NO_ENOBUFS = 5;
export const POLLIN = 1;
export const EFD_NONBLOCK = 0o4000;
export const EFD_CLOEXEC = 0o2000000;
export const SIOCGIFHWADDR = 0x8927;
export const O_RDONLY = 0;
export const O_RDWR = 2;
export const O_CLOEXEC = 0o2000000;
export const ENOENT = 2;
export const ESRCH = 3;
export const EPERM = 1;
export const EAGAIN = 11;
export const EINTR = 4;
export const ENOBUFS = 105;
export const IFNAMSIZ = 16;
export const SIG_BLOCK = 0;
export const SIGUSR1 = 10;
/** glibc's sigset_t: 1024 bits. */
export const SIGSET_BYTES = 128;
/** ioctl: an interface's MTU (struct ifreq: name[16], then int ifr_mtu). */
export const SIOCGIFMTU = 0x8921;
export const SOCK_STREAM = 1;
/** shutdown(): both directions. */
export const SHUT_RDWR = 2;
export const ECONNREFUSED = 111;
/** ioctl: set or clear O_NONBLOCK from an int (0 = blocking). */
export const FIONBIO = 0x5421;
