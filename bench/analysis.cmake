# Text analysis: throughput and allocations per message, and template-match
# precision and recall. Both take a corpus path (default ../shared/corpus).
add_executable(analysis_bench ${CMAKE_CURRENT_SOURCE_DIR}/analysis_bench.cpp)
target_link_libraries(analysis_bench PRIVATE pushback_scoring benchmark::benchmark pushback_warnings)
target_compile_definitions(analysis_bench PRIVATE PUSHBACK_SOURCE_DIR="${PROJECT_SOURCE_DIR}")

add_executable(template_eval ${CMAKE_CURRENT_SOURCE_DIR}/template_eval.cpp)
target_link_libraries(template_eval PRIVATE pushback_scoring pushback_warnings)
target_compile_definitions(template_eval PRIVATE PUSHBACK_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
