# Writes a .cpp defining `const char* const SYMBOL` (in NAMESPACE) holding INPUT's text, so data
# files (the price table) are compiled into the binary.
file(READ "${INPUT}" text)
set(delim "llmops_embed")
set(content "// Generated from ${INPUT} by cmake/embed_text.cmake; do not edit.\nnamespace ${NAMESPACE} {\nextern const char* const ${SYMBOL};\nconst char* const ${SYMBOL} = R\"${delim}(${text})${delim}\";\n}\n")
if(EXISTS "${OUTPUT}")
  file(READ "${OUTPUT}" old)
else()
  set(old "")
endif()
if(NOT old STREQUAL content)
  file(WRITE "${OUTPUT}" "${content}")
endif()
