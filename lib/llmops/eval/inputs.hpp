#pragma once
// The files a run reads, so that no report is written over one of them (`llmops eval suite.yaml
// -o tests.csv` once replaced the golden dataset with the report).

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <llmops/util/error.hpp>

namespace llmops::eval {

struct Suite;

// One file a run reads, and what it is to the run ("the suite", "a dataset of the suite", "a
// prompt file of the suite", "a file the suite reads").
struct InputFile {
    std::filesystem::path path;
    std::string role;
};

// Every file `suite` reads: the suite file, its dataset files, its prompt files, the replay
// files its providers answer from, and every
// existing file named `file://...` in the suite or in a file it names (variables, defaultTest,
// schemas, scripts), followed through YAML, JSON, JSONL and CSV files. Paths as they resolve from
// the working directory. Never fails: a file that cannot be read is simply not followed.
std::vector<InputFile> input_files(const Suite& suite);

// The input that `output` would overwrite, if any: the same file (through links and `..` too),
// or any file inside `store_dir` (the project's `.llmops/`). Outputs that do not exist yet are
// compared by their normalised absolute path.
std::optional<InputFile> overwritten_input(const std::filesystem::path& output,
                                           const std::vector<InputFile>& inputs,
                                           const std::filesystem::path& store_dir);

// Fails with `invalid_input` when an output in `outputs` ("-" is standard output and never
// clashes) is one of `inputs` or inside `store_dir`, or when two outputs are the same file:
// "-o 'tests.csv' would overwrite a dataset of the suite ('tests.csv'); write the report
// elsewhere". `flag` names the outputs' option in messages.
Expected<void> check_outputs(const std::vector<std::string>& outputs,
                             const std::vector<InputFile>& inputs,
                             const std::filesystem::path& store_dir, std::string_view flag = "-o");

} // namespace llmops::eval
