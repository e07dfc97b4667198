// The worker's health and metrics endpoint: plain HTTP on a loopback port (never on other interfaces; put a
// reverse proxy in front to expose it), served by libmicrohttpd on its own thread.
//
//   GET /healthz  200 "ok" while the worker runs, 503 "draining" once it drains
//   GET /metrics  Prometheus text exposition format 0.0.4
//
// Thread-safety: the callbacks are called from libmicrohttpd's thread; they must be thread-safe.
#ifndef INTERDICT_QUEUE_METRICS_ENDPOINT_H_
#define INTERDICT_QUEUE_METRICS_ENDPOINT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/status.h"

namespace interdict {

inline constexpr char kPrometheusContentType[] = "text/plain; version=0.0.4; charset=utf-8";

class MetricsEndpoint {
 public:
  struct Callbacks {
    std::function<std::string()> metrics_text;  // the whole /metrics body
    std::function<bool()> healthy;              // false: /healthz answers 503
  };
  // Listens on 127.0.0.1:port (0 picks a free port; see port()).
  static Result<std::unique_ptr<MetricsEndpoint>> Start(uint16_t port, Callbacks callbacks);
  virtual ~MetricsEndpoint() = default;
  virtual uint16_t port() const = 0;
};

}  // namespace interdict

#endif  // INTERDICT_QUEUE_METRICS_ENDPOINT_H_
