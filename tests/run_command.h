// Runs the rightsize binary for CLI tests: captures stdout, stderr and the exit status.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace rightsize::testing {

struct CommandResult {
  int status = -1;
  std::string out;
  std::string err;
};

// args is appended to the binary's path as-is (the caller quotes what needs quoting); stdin
// comes from stdin_path (default: empty input).
inline CommandResult run_rightsize(const std::string& args, const std::string& stdin_path = "/dev/null") {
  static int counter = 0;
  const auto dir = std::filesystem::temp_directory_path();
  const auto out_path = dir / ("rs_cli_out_" + std::to_string(::getpid()) + "_" + std::to_string(counter) + ".txt");
  const auto err_path = dir / ("rs_cli_err_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + ".txt");
  const std::string cmd = std::string(RS_BINARY) + " " + args + " > " + out_path.string() + " 2> " +
                          err_path.string() + " < " + stdin_path;
  const int raw = std::system(cmd.c_str());
  CommandResult r;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + (WIFSIGNALED(raw) ? WTERMSIG(raw) : 0);
  auto slurp = [](const std::filesystem::path& p) {
    std::ifstream f(p, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  };
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  std::filesystem::remove(out_path);
  std::filesystem::remove(err_path);
  return r;
}

}  // namespace rightsize::testing
