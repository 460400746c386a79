// GET /v1/models: the models this server offers, by id.
#include <httplib.h>

#include "server/api_error.h"
#include "server/server.h"

namespace rightsize::server {

void handle_models(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
  nlohmann::json data = nlohmann::json::array();
  for (const auto& m : ctx.models)
    data.push_back({{"id", m->id}, {"object", "model"}, {"created", m->created}, {"owned_by", "rightsize"}});
  res.set_content(dump_json({{"object", "list"}, {"data", data}}), "application/json");
}

}  // namespace rightsize::server
