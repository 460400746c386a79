// GET /metrics: Prometheus text exposition of the request counters, token counters, latency
// histograms and, per model, queue depth, active sequences and KV cache use.
#include <httplib.h>

#include "server/server.h"

namespace rightsize::server {

void handle_metrics(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
  std::string out = ctx.stats.render();
  struct Gauge {
    const char* name;
    const char* help;
    int64_t (*value)(const engine::EngineStats&);
  };
  static const Gauge kGauges[] = {
      {"rightsize_queue_depth", "Requests waiting for a sequence slot.",
       [](const engine::EngineStats& s) { return int64_t{s.queued}; }},
      {"rightsize_active_sequences", "Sequences being prefilled or decoded.",
       [](const engine::EngineStats& s) { return int64_t{s.active}; }},
      {"rightsize_slots", "Sequence slots (--parallel).", [](const engine::EngineStats& s) { return int64_t{s.n_slots}; }},
      {"rightsize_kv_cache_used_cells", "KV cache positions held by active sequences.",
       [](const engine::EngineStats& s) { return s.kv_cells_active; }},
      {"rightsize_kv_cache_cached_cells", "KV cache positions kept by idle slots for prefix reuse.",
       [](const engine::EngineStats& s) { return s.kv_cells_cached; }},
      {"rightsize_kv_cache_total_cells", "KV cache positions in all (slots x context).",
       [](const engine::EngineStats& s) { return s.kv_cells_total; }},
  };
  std::vector<engine::EngineStats> stats;
  for (const auto& m : ctx.models) stats.push_back(m->engine->stats());
  for (const Gauge& g : kGauges) {
    out += std::string("# HELP ") + g.name + " " + g.help + "\n# TYPE " + g.name + " gauge\n";
    for (size_t i = 0; i < ctx.models.size(); ++i)
      out += std::string(g.name) + "{model=\"" + ctx.models[i]->id + "\"} " + std::to_string(g.value(stats[i])) + "\n";
  }
  res.set_content(out, "text/plain; version=0.0.4");
}

}  // namespace rightsize::server
