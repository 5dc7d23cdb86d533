/** nfdhcpd's metrics: the status report as Prometheus families, named by its conventions. */
import type { Counts, StatusReport } from "./status_report.ts";
import { formatMetrics, histogramSamples, type MetricFamily, type Sample } from "./prometheus.ts";

function labelled(counts: Counts, inner: string): Sample[] {
  const samples: Sample[] = [];
  for (const [protocol, row] of Object.entries(counts)) {
    for (const [key, value] of Object.entries(row)) {
      samples.push({ labels: { protocol, [inner]: key }, value });
    }
  }
  return samples;
}

/** The families of `status`. */
export function metricFamilies(status: StatusReport): MetricFamily[] {
  // ENOBUFS: what NfQueue saw on its socket (all queues share it); the kernel's per-queue drops
  // only where /proc/net/netfilter/nfnetlink_queue is readable (root: the file is 0440).
  const overruns: Sample[] = [
    { labels: { queue: "all", cause: "enobufs" }, value: status.packets.enobufs },
  ];
  for (const q of status.queues) {
    const queue = String(q.queue);
    if (q.queueDropped !== null) {
      overruns.push({ labels: { queue, cause: "queue-full" }, value: q.queueDropped });
    }
    if (q.socketDropped !== null) {
      overruns.push({ labels: { queue, cause: "socket-full" }, value: q.socketDropped });
    }
  }
  const { latency } = status;
  return [
    {
      name: "nfdhcpd_build_info",
      help: "The running nfdhcpd's version; always 1.",
      type: "gauge",
      samples: [{ labels: { version: status.version }, value: 1 }],
    },
    {
      name: "nfdhcpd_start_time_seconds",
      help: "When the daemon started, in seconds since the epoch.",
      type: "gauge",
      samples: [{ value: status.startedAt / 1000 }],
    },
    {
      name: "nfdhcpd_bindings",
      help: "Binding files loaded.",
      type: "gauge",
      samples: [{ value: status.bindings.loaded }],
    },
    {
      name: "nfdhcpd_binding_errors",
      help: "Binding files present but not loaded (rejected, or being written).",
      type: "gauge",
      samples: [{ value: status.bindings.rejected }],
    },
    {
      name: "nfdhcpd_requests_total",
      help: "Requests from bound TAPs, by protocol and message type.",
      type: "counter",
      samples: labelled(status.requests, "type"),
    },
    {
      name: "nfdhcpd_replies_total",
      help: "Replies sent, by protocol and message type.",
      type: "counter",
      samples: labelled(status.replies, "type"),
    },
    {
      name: "nfdhcpd_refused_total",
      help: "Requests from bound TAPs dropped without a reply, by protocol and reason.",
      type: "counter",
      samples: labelled(status.refused, "reason"),
    },
    {
      name: "nfdhcpd_queue_overruns_total",
      help:
        "Packets the kernel dropped before we saw them: ENOBUFS on our socket, queue full, or socket buffer full.",
      type: "counter",
      samples: overruns,
    },
    {
      name: "nfdhcpd_reply_duration_seconds",
      help: "Time from a request's arrival in the handler to its reply's send.",
      type: "histogram",
      samples: histogramSamples(latency.bounds, latency.counts, latency.sum),
    },
  ];
}

/** The metrics text of `status`. */
export function metricsText(status: StatusReport): string {
  return formatMetrics(metricFamilies(status));
}
