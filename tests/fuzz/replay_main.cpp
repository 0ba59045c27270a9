// Replays a fuzz target over files, without libFuzzer: each argument is a file or a directory
// (every regular file in it, in name order). This is how the committed corpus runs as a
// regression test in every normal GCC build (release, ASan+UBSan, TSan), so a crash found by
// fuzzing stays fixed once its input is committed. Fails when no input was found at all, so a
// wrong path cannot pass silently.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz_support.hpp"

namespace {

namespace fs = std::filesystem;

std::vector<fs::path> inputs_of(const fs::path& arg) {
  std::vector<fs::path> files;
  if (fs::is_directory(arg)) {
    for (const auto& entry : fs::directory_iterator(arg)) {
      if (entry.is_regular_file()) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
  } else if (fs::is_regular_file(arg)) {
    files.push_back(arg);
  } else {
    std::fprintf(stderr, "replay: %s is neither a file nor a directory\n", arg.c_str());
  }
  return files;
}

std::vector<std::uint8_t> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t count = 0;
  for (int i = 1; i < argc; ++i) {
    for (const fs::path& file : inputs_of(argv[i])) {
      const std::vector<std::uint8_t> bytes = read_file(file);
      // Named before running, so the log shows which input crashed.
      std::fprintf(stderr, "replay: %s (%zu bytes)\n", file.c_str(), bytes.size());
      LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
      ++count;
    }
  }
  std::printf("replay: %zu inputs ran cleanly\n", count);
  return count > 0 ? 0 : 1;
}
