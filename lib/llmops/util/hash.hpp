#pragma once
// Content hashing (SHA-256 through OpenSSL's EVP interface).

#include <memory>
#include <string>
#include <string_view>

namespace llmops::util {

// Returns the lowercase hexadecimal SHA-256 of `data` (64 characters).
std::string sha256_hex(std::string_view data);

// Returns the raw SHA-256 digest of `data` (32 bytes).
std::string sha256_digest(std::string_view data);

// Returns `bytes` in standard base64 (RFC 4648 §4: `+` and `/`, padded with `=`), as a
// Content-Security-Policy hash source ('sha256-...') wants the digest.
std::string base64_encode(std::string_view bytes);

// SHA-256 of data fed in pieces (a dataset hashed while it streams): `update` any number of
// times, then `hex_digest` once. Gives the same digest as sha256_hex of the concatenation.
class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(Sha256&&) noexcept;
    Sha256& operator=(Sha256&&) noexcept;

    void update(std::string_view data);
    std::string hex_digest(); // finishes the hash; call once

private:
    struct State;
    std::unique_ptr<State> m_state;
};

} // namespace llmops::util
