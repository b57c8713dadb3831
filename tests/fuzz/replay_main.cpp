// The main() of a fuzz target built without libFuzzer (g++, the normal and sanitizer builds):
// runs LLVMFuzzerTestOneInput once on every file named on the command line and on every file of
// every folder named there (a corpus folder, not recursing), so the committed seed corpus runs
// as a CTest test. A target that finds a bug aborts; this program then names the input. It
// fails when it found no input at all, so a misspelt corpus path does not pass quietly.
//
//   fuzz_suite_yaml tests/fuzz/corpus/suite_yaml [crash-1234...]

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

namespace fs = std::filesystem;

// Reads `path` into a buffer of exactly its size, so the sanitizers catch a read past the end.
bool run_one(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::fprintf(stderr, "fuzz replay: cannot read '%s'\n", path.c_str());
        return false;
    }
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto buffer = std::make_unique<uint8_t[]>(bytes.size());
    std::copy(bytes.begin(), bytes.end(), buffer.get());
    // Printed first, so the input that aborts is the last one named.
    std::fprintf(stderr, "fuzz replay: %s (%zu bytes)\n", path.c_str(), bytes.size());
    const auto start = std::chrono::steady_clock::now();
    LLVMFuzzerTestOneInput(buffer.get(), bytes.size());
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (seconds > 1.0) {
        std::fprintf(stderr, "fuzz replay: %s took %.1f s\n", path.c_str(), seconds);
    }
    return true;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...\n", argv[0]);
        return 2;
    }
    size_t inputs = 0;
    for (int i = 1; i < argc; ++i) {
        const fs::path arg = argv[i];
        std::vector<fs::path> files;
        std::error_code ec;
        if (fs::is_directory(arg, ec)) {
            for (const auto& entry : fs::directory_iterator(arg, ec)) {
                if (entry.is_regular_file()) {
                    files.push_back(entry.path());
                }
            }
            std::sort(files.begin(), files.end()); // the same order on every machine
        } else {
            files.push_back(arg);
        }
        for (const auto& file : files) {
            if (!run_one(file)) {
                return 1;
            }
            ++inputs;
        }
    }
    if (inputs == 0) {
        std::fprintf(stderr, "fuzz replay: no inputs found\n");
        return 1;
    }
    std::fprintf(stderr, "fuzz replay: %zu inputs, no failure\n", inputs);
    return 0;
}
