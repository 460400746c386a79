// The schema set in bench/schemas: every schema converts, its grammar compiles, and the valid
// instances it lists under "examples" are accepted, compact and pretty-printed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "sampling/grammar/gbnf.h"
#include "sampling/grammar/json_schema.h"

namespace rightsize::sampling::grammar {
namespace {

namespace fs = std::filesystem;

// bench/schemas of this source tree, or RIGHTSIZE_SCHEMAS.
fs::path schema_dir() {
  const char* env = std::getenv("RIGHTSIZE_SCHEMAS");
  return env ? fs::path(env) : fs::path(__FILE__).parent_path() / "../../../bench/schemas";
}

std::vector<fs::path> schema_files() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(schema_dir())) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

bool accepts(const std::shared_ptr<const Grammar>& g, std::string_view text) {
  Matcher m(g);
  return m.accept_bytes(text) && m.is_complete();
}

TEST(JsonSchemaCorpus, EverySchemaConvertsAndAcceptsItsExamples) {
  ASSERT_TRUE(fs::is_directory(schema_dir()))
      << "schema set missing at " << schema_dir() << " (set RIGHTSIZE_SCHEMAS)";
  const std::vector<fs::path> files = schema_files();
  EXPECT_GE(files.size(), 50u);
  size_t examples = 0;
  for (const fs::path& file : files) {
    SCOPED_TRACE(file.filename().string());
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    const auto schema = nlohmann::ordered_json::parse(text.str());
    SchemaOptions compact;
    compact.compact = true;
    std::shared_ptr<const Grammar> spaced, tight;
    try {
      spaced = Grammar::parse(json_schema_to_gbnf(schema));
      tight = Grammar::parse(json_schema_to_gbnf(schema, compact));
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what();
      continue;
    }
    ASSERT_TRUE(schema.contains("examples")) << "each schema lists valid instances";
    for (const auto& example : schema["examples"]) {
      ++examples;
      const std::string flat = example.dump(), pretty = example.dump(2);
      EXPECT_TRUE(accepts(spaced, flat)) << flat;
      EXPECT_TRUE(accepts(spaced, pretty)) << pretty;
      EXPECT_TRUE(accepts(tight, flat)) << flat;
      if (pretty != flat) {
        EXPECT_FALSE(accepts(tight, pretty)) << pretty;
      }
    }
  }
  EXPECT_GE(examples, files.size());
}

}  // namespace
}  // namespace rightsize::sampling::grammar
