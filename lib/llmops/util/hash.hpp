#pragma once
// Content hashing (SHA-256 through OpenSSL's EVP interface).

#include <string>
#include <string_view>

namespace llmops::util {

// Returns the lowercase hexadecimal SHA-256 of `data` (64 characters).
std::string sha256_hex(std::string_view data);

} // namespace llmops::util
