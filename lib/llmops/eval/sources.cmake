# Sources of the eval module (included by lib/CMakeLists.txt), relative to lib/.
set(LLMOPS_EVAL_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/llmops/eval/assertion.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/llmops/eval/assertions/common.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/llmops/eval/assertions/regex.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/llmops/eval/assertions/regex_compile.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/llmops/eval/assertions/regex_classes.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/llmops/eval/assertions/text.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/llmops/eval/assertions/json.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/llmops/eval/assertions/similarity.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/llmops/eval/assertions/metrics.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/llmops/eval/assertions/refusal.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/llmops/eval/assertions/security.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/llmops/eval/assertions/script.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/llmops/eval/assertions/javascript.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/llmops/eval/transform.cpp
  # The judge (model-graded assertions, SPEC §9).
  ${CMAKE_CURRENT_SOURCE_DIR}/llmops/eval/judge/verdict.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/llmops/eval/judge/judge.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/llmops/eval/judge/planner.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/llmops/eval/judge/grade.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/llmops/eval/judge/calibrate.cpp
  # Suites, datasets and the runner (not assertions: keep these lines).
  ${CMAKE_CURRENT_SOURCE_DIR}/llmops/eval/suite.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/llmops/eval/suite_detail.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/llmops/eval/suite_prompts.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/llmops/eval/case_draft.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/llmops/eval/case_source.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/llmops/eval/trace_cases.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/llmops/eval/dataset.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/llmops/eval/dataset_csv.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/llmops/eval/csv.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/llmops/eval/inputs.cpp
  # What `llmops schema suite` prints and `llmops init --template` writes.
  ${CMAKE_CURRENT_SOURCE_DIR}/llmops/eval/suite_schema.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/llmops/eval/starter.cpp
  # The runner's rooms (runner.hpp names them).
  ${CMAKE_CURRENT_SOURCE_DIR}/llmops/eval/matrix.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/llmops/eval/node_worker.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/llmops/eval/case_selection.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/llmops/eval/plan.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/llmops/eval/scheduler.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/llmops/eval/session.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/llmops/eval/provenance.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/llmops/eval/summary.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/llmops/eval/result.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/llmops/eval/estimate.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/llmops/eval/validate.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/llmops/eval/runner.cpp)
