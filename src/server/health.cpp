// GET /health: 200 {"status":"ok"} while serving, 503 {"status":"draining"} during shutdown.
#include <httplib.h>

#include "server/api_error.h"
#include "server/server.h"

namespace rightsize::server {

void handle_health(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
  if (ctx.draining) {
    res.status = 503;
    res.set_content(R"({"status":"draining"})", "application/json");
    return;
  }
  res.set_content(R"({"status":"ok"})", "application/json");
}

}  // namespace rightsize::server
