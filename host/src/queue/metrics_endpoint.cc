#include "queue/metrics_endpoint.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>

#include <cstring>

namespace interdict {
namespace {

class MhdMetricsEndpoint final : public MetricsEndpoint {
 public:
  explicit MhdMetricsEndpoint(Callbacks callbacks) : callbacks_(std::move(callbacks)) {}
  ~MhdMetricsEndpoint() override {
    if (daemon_ != nullptr) MHD_stop_daemon(daemon_);
  }
  uint16_t port() const override { return port_; }

  Status Start(uint16_t port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    daemon_ = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, port, nullptr, nullptr,
                               &MhdMetricsEndpoint::Answer, this, MHD_OPTION_SOCK_ADDR, &address,
                               MHD_OPTION_CONNECTION_LIMIT, 16u, MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
    if (daemon_ == nullptr) {
      return Status::IoError("cannot listen on 127.0.0.1:" + std::to_string(port) + " for metrics");
    }
    const MHD_DaemonInfo* info = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT);
    port_ = info != nullptr ? info->port : port;
    return Status::Ok();
  }

 private:
  static MHD_Result Answer(void* self_ptr, MHD_Connection* connection, const char* url, const char* method,
                           const char* /*version*/, const char* /*upload_data*/, size_t* upload_size,
                           void** /*request_state*/) {
    auto* self = static_cast<MhdMetricsEndpoint*>(self_ptr);
    if (std::strcmp(method, "GET") != 0 || *upload_size != 0) {
      return Reply(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET\n", "text/plain");
    }
    if (std::strcmp(url, "/metrics") == 0) {
      return Reply(connection, MHD_HTTP_OK, self->callbacks_.metrics_text(), kPrometheusContentType);
    }
    if (std::strcmp(url, "/healthz") == 0) {
      bool healthy = self->callbacks_.healthy();
      return Reply(connection, healthy ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, healthy ? "ok\n" : "draining\n",
                   "text/plain");
    }
    return Reply(connection, MHD_HTTP_NOT_FOUND, "try /metrics or /healthz\n", "text/plain");
  }

  static MHD_Result Reply(MHD_Connection* connection, unsigned int code, const std::string& body,
                          const char* content_type) {
    MHD_Response* response =
        MHD_create_response_from_buffer(body.size(), const_cast<char*>(body.data()), MHD_RESPMEM_MUST_COPY);
    if (response == nullptr) return MHD_NO;
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    MHD_Result result = MHD_queue_response(connection, code, response);
    MHD_destroy_response(response);
    return result;
  }

  Callbacks callbacks_;
  MHD_Daemon* daemon_ = nullptr;
  uint16_t port_ = 0;
};

}  // namespace

Result<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(uint16_t port, Callbacks callbacks) {
  auto endpoint = std::make_unique<MhdMetricsEndpoint>(std::move(callbacks));
  INTERDICT_RETURN_IF_ERROR(endpoint->Start(port));
  return std::unique_ptr<MetricsEndpoint>(std::move(endpoint));
}

}  // namespace interdict
