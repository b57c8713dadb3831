#pragma once
// A data file compiled into the binary (cmake/embed_files.cmake), e.g. the shipped judge prompts.

namespace llmops {

struct EmbeddedFile {
    const char* name; // the file name without its extension: "llm-rubric"
    const char* text; // its bytes
};

} // namespace llmops
