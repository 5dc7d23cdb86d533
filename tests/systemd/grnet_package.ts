/**
 * A stand-in for GRNET's nfdhcpd 0.17 package, built in the container with dpkg-deb: the same
 * name, the same conffiles (nfdhcpd.conf in the original's format, /etc/default/nfdhcpd with
 * DAEMON_OPTS, an init script, the logrotate and ferm files), a unit with the
 * nfdhcpd_not_to_be_run switch, and maintainer scripts that enable and start it as its debhelper
 * did. Its daemon only sleeps: what matters is what the upgrade does to the host it leaves.
 */

import type { Container } from "../../lab/container.ts";

/** The version GRNET's last release would have (0.17, Debian revision 1). */
export const GRNET_VERSION = "0.17-1";

/** The conffiles of GRNET's package, as its package declares them. */
export const GRNET_CONFFILES: readonly string[] = [
  "/etc/nfdhcpd/nfdhcpd.conf",
  "/etc/default/nfdhcpd",
  "/etc/init.d/nfdhcpd",
  "/etc/logrotate.d/nfdhcpd",
  "/etc/ferm/nfdhcpd.ferm",
];

/** nfdhcpd.conf in the original's format, with the keys its 0.17 sample sets. */
export const GRNET_CONF = `# nfdhcpd 0.17 (stand-in): the original's configuration
[general]
pidfile = /var/run/nfdhcpd/nfdhcpd.pid
datapath = /var/lib/nfdhcpd
logdir = /var/log/nfdhcpd
user = nobody

[dhcp]
enable_dhcp = yes
lease_lifetime = 604800
lease_renewal = 3600
server_ip = 192.0.2.1
server_on_link = no
dhcp_queue = 42
nameservers = 192.0.2.2, 192.0.2.3
domain = example.com

[ipv6]
enable_ipv6 = yes
enable_dhcpv6 = yes
ra_period = 300
rs_queue = 43
ns_queue = 44
dhcpv6_queue = 45
nameservers = 2001:db8:100::1, 2001:db8:200::2
domains = example.com
`;

/** /etc/default/nfdhcpd with the variables GRNET's init script and unit read. */
export const GRNET_DEFAULT = `# nfdhcpd 0.17 (stand-in): read by its init script and its unit
RUN="yes"
DAEMON_OPTS=""
NFDHCPD_STATE_DIR=/var/lib/nfdhcpd
`;

const FILES: Readonly<Record<string, string>> = {
  "/etc/nfdhcpd/nfdhcpd.conf": GRNET_CONF,
  "/etc/default/nfdhcpd": GRNET_DEFAULT,
  // An LSB header is what update-rc.d needs to make the rc.d links.
  "/etc/init.d/nfdhcpd": `#!/bin/sh
### BEGIN INIT INFO
# Provides:          nfdhcpd
# Required-Start:    $network $local_fs $remote_fs
# Required-Stop:     $remote_fs
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: nfdhcpd 0.17 (stand-in)
### END INIT INFO
exit 0
`,
  "/etc/logrotate.d/nfdhcpd": "/var/log/nfdhcpd/nfdhcpd.log {\n  daily\n  missingok\n}\n",
  "/etc/ferm/nfdhcpd.ferm": "# nfdhcpd 0.17 (stand-in): the operator's firewall includes it\n",
  "/lib/systemd/system/nfdhcpd.service": `[Unit]
Description=nfdhcpd 0.17 (stand-in)
ConditionPathExists=!/etc/nfdhcpd/nfdhcpd_not_to_be_run

[Service]
Environment=DAEMON_OPTS=
EnvironmentFile=-/etc/default/nfdhcpd
ExecStart=/usr/sbin/nfdhcpd $DAEMON_OPTS

[Install]
WantedBy=multi-user.target
`,
  "/usr/sbin/nfdhcpd": "#!/bin/sh\nexec sleep infinity\n",
  "/usr/bin/analyze_pcap": "#!/bin/sh\nexit 0\n",
  "/DEBIAN/control": `Package: nfdhcpd
Version: ${GRNET_VERSION}
Architecture: all
Maintainer: nfdhcpd tests <nfdhcpd@example.org>
Replaces: snf-network
Description: stand-in for GRNET's nfdhcpd 0.17 package
 Its files, conffiles and maintainer scripts, for the upgrade test.
`,
  "/DEBIAN/conffiles": GRNET_CONFFILES.join("\n") + "\n",
  // What debhelper (compat 7, dh_installinit and dh_systemd) put in its scripts.
  "/DEBIAN/postinst": `#!/bin/sh
set -e
if [ "$1" = configure ]; then
  chown nobody /var/log/nfdhcpd
  update-rc.d nfdhcpd defaults >/dev/null
  deb-systemd-helper enable nfdhcpd.service >/dev/null
  if [ -d /run/systemd/system ]; then
    systemctl --system daemon-reload
    deb-systemd-invoke start nfdhcpd.service
  fi
fi
`,
  "/DEBIAN/prerm": `#!/bin/sh
set -e
if [ -x /etc/init.d/nfdhcpd ]; then invoke-rc.d nfdhcpd stop || exit $?; fi
`,
};

const EXECUTABLE = new Set([
  "/etc/init.d/nfdhcpd",
  "/usr/sbin/nfdhcpd",
  "/usr/bin/analyze_pcap",
  "/DEBIAN/postinst",
  "/DEBIAN/prerm",
]);

/** Builds the stand-in with dpkg-deb in the container; returns its path there. */
export async function buildGrnetPackage(container: Container): Promise<string> {
  const tree = "/root/grnet";
  const dirs = new Set(Object.keys(FILES).map((f) => `${tree}${f.slice(0, f.lastIndexOf("/"))}`));
  await container.exec([
    "mkdir",
    "-p",
    ...dirs,
    `${tree}/var/lib/nfdhcpd`,
    `${tree}/var/log/nfdhcpd`,
  ]);
  for (const [path, text] of Object.entries(FILES)) {
    await container.write(`${tree}${path}`, text);
    await container.exec(["chmod", EXECUTABLE.has(path) ? "0755" : "0644", `${tree}${path}`]);
  }
  const deb = `/root/nfdhcpd_${GRNET_VERSION}_all.deb`;
  await container.exec(["dpkg-deb", "--root-owner-group", "--build", tree, deb]);
  return deb;
}
